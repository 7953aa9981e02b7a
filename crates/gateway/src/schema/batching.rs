//! Runs a request and its DataLoader batches on one task so that batches
//! form per level of the query, not per time window.
//!
//! With `tokio::spawn` and a timer, a batch closes when the timer fires,
//! which may be in the middle of the executor's pass over a long list (the
//! executor yields every few dozen items), and one level's keys then split
//! over several statements. Here a batch task is polled only once the
//! executor is blocked, that is, once every resolver of the level has asked
//! for its keys. The statements a request runs then depend on its shape.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::task::AtomicWaker;
use tokio::sync::mpsc::UnboundedReceiver;

/// Wakes the driving task and remembers that the executor asked to run.
struct ExecutorWaker {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for ExecutorWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// Polls `execution` to completion, running the batch tasks it spawns
/// (received on `spawned`) whenever it cannot make progress by itself.
pub async fn drive<T>(
    execution: impl Future<Output = T>,
    mut spawned: UnboundedReceiver<BoxFuture<'static, ()>>,
) -> T {
    let mut execution = pin!(execution);
    let mut batches = FuturesUnordered::new();
    let flag = Arc::new(ExecutorWaker {
        woken: AtomicBool::new(true),
        task: AtomicWaker::new(),
    });
    let executor_waker = Waker::from(flag.clone());
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        flag.task.register(cx.waker());
        loop {
            if flag.woken.swap(false, Ordering::AcqRel) {
                let mut executor_cx = Context::from_waker(&executor_waker);
                if let Poll::Ready(out) = execution.as_mut().poll(&mut executor_cx) {
                    return Poll::Ready(out);
                }
            }
            while let Ok(task) = spawned.try_recv() {
                batches.push(task);
            }
            if flag.woken.load(Ordering::Acquire) {
                // The executor yielded mid-pass; let it finish the level first.
                continue;
            }
            match batches.poll_next_unpin(cx) {
                // A batch finished: its results woke the executor.
                Poll::Ready(Some(())) => continue,
                Poll::Ready(None) | Poll::Pending => {}
            }
            if flag.woken.load(Ordering::Acquire) {
                continue;
            }
            return Poll::Pending;
        }
    })
    .await
}
