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
use std::sync::mpsc::Receiver;
use std::task::{Context, Poll, Wake, Waker};

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::task::AtomicWaker;
use futures::{Stream, StreamExt};

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
pub(crate) async fn drive<T>(
    execution: impl Future<Output = T>,
    spawned: Receiver<BoxFuture<'static, ()>>,
) -> T {
    let mut execution = pin!(execution);
    let mut driver = Driver::new(spawned);
    std::future::poll_fn(move |cx| driver.poll(cx, |ecx| execution.as_mut().poll(ecx))).await
}

/// The same for a subscription: each response of `responses` is driven
/// like a request of its own, with the batches its resolvers spawn.
pub(crate) fn drive_stream<S: Stream + Unpin>(
    mut responses: S,
    spawned: Receiver<BoxFuture<'static, ()>>,
) -> impl Stream<Item = S::Item> {
    let mut driver = Driver::new(spawned);
    futures::stream::poll_fn(move |cx| driver.poll(cx, |ecx| responses.poll_next_unpin(ecx)))
}

/// The batches in flight for one execution, and whether the execution
/// asked to be polled again.
struct Driver {
    spawned: Receiver<BoxFuture<'static, ()>>,
    batches: FuturesUnordered<BoxFuture<'static, ()>>,
    flag: Arc<ExecutorWaker>,
    executor_waker: Waker,
}

impl Driver {
    fn new(spawned: Receiver<BoxFuture<'static, ()>>) -> Self {
        let flag = Arc::new(ExecutorWaker {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        Driver {
            spawned,
            batches: FuturesUnordered::new(),
            executor_waker: Waker::from(flag.clone()),
            flag,
        }
    }

    fn poll<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut execution: impl FnMut(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        let flag = &self.flag;
        flag.task.register(cx.waker());
        loop {
            if flag.woken.swap(false, Ordering::AcqRel) {
                let mut executor_cx = Context::from_waker(&self.executor_waker);
                if let Poll::Ready(out) = execution(&mut executor_cx) {
                    // A stream is polled again for its next item.
                    flag.woken.store(true, Ordering::Release);
                    return Poll::Ready(out);
                }
            }
            while let Ok(task) = self.spawned.try_recv() {
                self.batches.push(task);
            }
            if flag.woken.load(Ordering::Acquire) {
                // The executor yielded mid-pass; let it finish the level first.
                continue;
            }
            match self.batches.poll_next_unpin(cx) {
                // A batch finished: its results woke the executor.
                Poll::Ready(Some(())) => continue,
                Poll::Ready(None) | Poll::Pending => {}
            }
            if flag.woken.load(Ordering::Acquire) {
                continue;
            }
            return Poll::Pending;
        }
    }
}
