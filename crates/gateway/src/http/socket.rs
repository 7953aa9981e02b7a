//! GraphQL over WebSocket at `/graphql`, for `commentAdded` and any other
//! operation: the `graphql-transport-ws` protocol, and the older
//! `graphql-ws` one (subscriptions-transport-ws) for legacy clients.
//!
//! A connection signs in with `Authorization: Bearer <token>`, either as a
//! header of the upgrade request or as a key of the `connection_init`
//! payload. Each operation checks the session afresh, so one that was
//! revoked or expired since the connection opened no longer counts.

use std::any::TypeId;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use async_graphql::http::WebSocketProtocols;
use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::WebSocketUpgrade;
use axum::extract::ws::{CloseFrame, Message, close_code};
use axum::response::Response as HttpResponse;
use futures::stream::{self, BoxStream};
use futures::{FutureExt, SinkExt, StreamExt};
use waypost_domain::DomainError;
use waypost_domain::account::authenticate;
use waypost_domain::freshness::{self, Changes};
use waypost_domain::policy::Viewer;

use super::auth::payload_token;
use super::connections::Slot;
use super::documents::operation_type;
use super::replica::RecentWriters;
use super::state::AppState;
use crate::error::to_graphql;
use crate::metrics::Closed;
use crate::schema::{execute, execute_stream};

/// The session token a connection presented, if any.
struct Credentials(Option<String>);

/// Operations one connection may have running at once.
const MAX_OPERATIONS: usize = 25;

/// Runs a connection's operations as whoever its token names.
#[derive(Clone)]
struct SocketExecutor {
    state: AppState,
    client_ip: Option<String>,
    /// Operations running on this connection.
    running: Arc<AtomicUsize>,
}

/// Holds an operation's place on its connection until the operation ends.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl SocketExecutor {
    /// The writers to note this connection's client among, when `request`
    /// is a mutation and the pool has a replica (whose reads a writer
    /// keeps off for a while).
    fn writes(&self, request: &mut Request) -> Option<Arc<RecentWriters>> {
        let state = &self.state;
        if !state.services.pool.has_replica() {
            return None;
        }
        let document = state
            .documents
            .prepare(request, state.limits.max_query_bytes)?;
        (operation_type(&document, request) == Some(OperationType::Mutation))
            .then(|| state.writers.clone())
    }

    async fn viewer(&self, token: Option<&str>) -> Result<Option<Viewer>, DomainError> {
        let Some(token) = token else {
            return Ok(None);
        };
        let services = &self.state.services;
        authenticate(&services.pool, token, (services.clock)())
            .await
            .map(Some)
    }
}

impl Executor for SocketExecutor {
    async fn execute(&self, mut request: Request) -> Response {
        let services = &self.state.services;
        if let Err(refused) = self
            .state
            .persisted
            .resolve_socket(services, &mut request)
            .await
        {
            return only_error(refused.error());
        }
        execute(
            &self.state.schema,
            services,
            None,
            self.client_ip.clone(),
            request,
        )
        .await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let token = session_data.and_then(|data| {
            data.get(&TypeId::of::<Credentials>())
                .and_then(|held| held.downcast_ref::<Credentials>())
                .and_then(|credentials| credentials.0.clone())
        });
        if self.running.fetch_add(1, Ordering::AcqRel) >= MAX_OPERATIONS {
            self.running.fetch_sub(1, Ordering::AcqRel);
            let err = DomainError::bad_input(
                "subscribe",
                format!("a connection runs at most {MAX_OPERATIONS} operations at once"),
            );
            return stream::iter([refusal(&err)]).boxed();
        }
        let place = Running(self.running.clone());
        let watched = self.state.services.metrics.subscription_started();
        let this = self.clone();
        // Boxed apart: the session and trusted-document checks are awaited
        // once, and their state is freed when they are done instead of
        // sizing the stream a subscription keeps for its life.
        stream::once(Box::pin(async move {
            let mut request = request;
            // Every operation a connection starts (`subscribe`, or `start`
            // in the legacy protocol) comes through here: in trusted mode,
            // one that is not a trusted document ends with its refusal.
            let services = &this.state.services;
            if let Err(refused) = this
                .state
                .persisted
                .resolve_socket(services, &mut request)
                .await
            {
                return stream::iter([only_error(refused.error())]).boxed();
            }
            let viewer = match this.viewer(token.as_deref()).await {
                Ok(viewer) => viewer,
                Err(err) => return stream::iter([refusal(&err)]).boxed(),
            };
            let mut request = request;
            let writes = this.writes(&mut request);
            let responses = execute_stream(
                &this.state.schema,
                &this.state.services,
                viewer,
                this.client_ip.clone(),
                request,
            );
            let responses = match writes {
                // The client's next reads over HTTP go to the primary, as
                // after a mutation sent over HTTP.
                Some(writers) => {
                    let client = this.client_ip.clone();
                    responses
                        .inspect(move |_| writers.wrote(client.as_deref(), Instant::now()))
                        .boxed()
                }
                None => responses,
            };
            let Some(token) = token else {
                return responses;
            };
            // A signed-in subscription may outlive its session: each answer
            // is sent only if the session still holds, else the operation
            // ends with UNAUTHENTICATED.
            stream::unfold(Some((responses, this, token)), |held| async move {
                let (mut responses, this, token) = held?;
                let response = responses.next().await?;
                // Boxed: the session's lookup exists only while an answer
                // is checked, not in every subscription waiting for one.
                match Box::pin(this.viewer(Some(&token))).await {
                    Ok(_) => Some((response, Some((responses, this, token)))),
                    // The refusal is the operation's last answer.
                    Err(err) => Some((refusal(&err), None)),
                }
            })
            .boxed()
        }))
        .flatten()
        // The place is given back when the operation's stream is dropped.
        .map(move |response| {
            let _ = (&place, &watched);
            response
        })
        .boxed()
    }
}

/// The answer to an operation whose session does not hold.
fn refusal(err: &DomainError) -> Response {
    only_error(to_graphql(err))
}

/// An operation's only answer: `error`, and no data.
fn only_error(error: async_graphql::Error) -> Response {
    Response::from_errors(vec![error.into_server_error(Default::default())])
}

/// Upgrades to a GraphQL WebSocket. `header_token` is the token of the
/// upgrade request's `Authorization` header, already checked.
pub(crate) fn upgrade(
    state: AppState,
    upgrade: WebSocketUpgrade,
    (protocol, legacy): (GraphQLProtocol, bool),
    header_token: Option<String>,
    client_ip: Option<String>,
    place: Slot,
) -> HttpResponse {
    let stopping = state.stopping();
    let limits = state.connection_limits;
    let metrics = state.services.metrics.clone();
    // Writes sent over the socket drop the answers they make stale, as
    // over HTTP.
    let changes: Arc<dyn Changes> = state.answers.clone();
    let executor = SocketExecutor {
        state,
        client_ip,
        running: Arc::new(AtomicUsize::new(0)),
    };
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(limits.websocket_max_message_bytes)
        .max_frame_size(limits.websocket_max_message_bytes)
        // The library's buffers are sized for bulk transfer (128 KiB each
        // way, allocated per socket); a subscription's messages are a few
        // hundred bytes, and thousands of sockets sit idle most of the time.
        .read_buffer_size(SOCKET_READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            let _place = place;
            let checker = executor.clone();
            // Answers go through a channel to the socket, so that the
            // socket can be closed properly when the server stops, whatever
            // the operations are doing.
            let (mut to_client, from_client) = socket.split();
            let (answers, mut outgoing) = futures::channel::mpsc::channel::<Message>(16);
            let stopping = stopping.shared();
            // Ends the client's stream when the socket is closed here (a
            // missing `connection_init`, a dead peer), as stopping does.
            let (end, ended) = futures::channel::oneshot::channel::<()>();
            let ended = ended.map(|_| ()).shared();
            let heard = Arc::new(Heard::default());
            let incoming = from_client
                .inspect({
                    let heard = heard.clone();
                    move |message| heard.note(message)
                })
                .take_until(futures::future::select(stopping.clone(), ended.clone()));

            // The protocol's state and the forwarding loop are boxed at
            // their own sizes: held inline, each was copied again into the
            // futures that took them over (the join, the scope of
            // `freshness::writing`), and every idle socket's task paid for
            // the copies.
            let serve = Box::pin(GraphQLWebSocket::new_with_pair(answers, incoming, executor, protocol)
                .on_connection_init(move |payload| async move {
                    let token = match payload_token(&payload) {
                        Ok(Some(token)) => Some(token),
                        Ok(None) => header_token,
                        Err(err) => return Err(rejection(&err)),
                    };
                    // A bad token ends the connection now rather than at
                    // its first operation.
                    checker
                        .viewer(token.as_deref())
                        .await
                        .map_err(|err| rejection(&err))?;
                    let mut data = Data::default();
                    data.insert(Credentials(token));
                    Ok(data)
                })
                .serve());
            let forward = Box::pin(async move {
                let stopping = stopping.fuse();
                futures::pin_mut!(stopping);
                let init_deadline = tokio::time::sleep(limits.websocket_init_timeout).fuse();
                futures::pin_mut!(init_deadline);
                let mut pings = tokio::time::interval_at(
                    tokio::time::Instant::now() + limits.websocket_ping_interval,
                    limits.websocket_ping_interval,
                );
                pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut heard_at_last_ping = None;
                let closing = loop {
                    // Stopping first: it also ends the answers, and the
                    // client must get the close frame rather than silence.
                    futures::select_biased! {
                        () = stopping => {
                            break Some(CloseFrame {
                                code: close_code::AWAY,
                                reason: "the server is stopping; reconnect shortly".into(),
                            });
                        }
                        () = init_deadline => {
                            if heard.initialised() {
                                continue;
                            }
                            metrics.connection_closed(Closed::InitTimeout);
                            let reason = "Connection initialisation timeout";
                            if legacy {
                                // The legacy protocol has no close codes of
                                // its own: it says so in a message first.
                                let error = serde_json::json!({
                                    "type": "connection_error",
                                    "payload": { "message": reason },
                                });
                                let _ = to_client.send(Message::Text(error.to_string().into())).await;
                            }
                            break Some(CloseFrame { code: INIT_TIMEOUT_CLOSE, reason: reason.into() });
                        }
                        _ = pings.tick().fuse() => {
                            let now = heard.count();
                            // Nothing since the last ping, not even its pong.
                            if heard_at_last_ping == Some(now) {
                                metrics.connection_closed(Closed::DeadPeer);
                                break Some(CloseFrame {
                                    code: close_code::AWAY,
                                    reason: "no answer to ping".into(),
                                });
                            }
                            heard_at_last_ping = Some(now);
                            if to_client.send(Message::Ping(Default::default())).await.is_err() {
                                break None;
                            }
                        }
                        answer = outgoing.next() => match answer {
                            Some(answer) => {
                                if to_client.send(answer).await.is_err() {
                                    break None;
                                }
                            }
                            None => break None,
                        },
                    }
                };
                if let Some(frame) = closing {
                    let _ = to_client.send(Message::Close(Some(frame))).await;
                }
                let _ = end.send(());
            });
            freshness::writing(changes, async {
                futures::join!(serve, forward);
            })
            .await;
        })
}

/// The close code of `graphql-transport-ws` for a socket that sent no
/// `connection_init` in time.
const INIT_TIMEOUT_CLOSE: u16 = 4408;

/// Bytes a socket reads at a time; a subscription's messages are small.
const SOCKET_READ_BUFFER_BYTES: usize = 4 * 1024;

/// What a socket has heard from its client: any message at all (a pong
/// included), and whether `connection_init` was among them.
#[derive(Debug, Default)]
struct Heard {
    messages: AtomicUsize,
    initialised: AtomicBool,
}

impl Heard {
    fn note(&self, message: &Result<Message, axum::Error>) {
        self.messages.fetch_add(1, Ordering::AcqRel);
        // Only until the socket has initialised: after that, a
        // subscription's messages are not read twice.
        if !self.initialised()
            && let Ok(Message::Text(text)) = message
            && is_init(text.as_str())
        {
            self.initialised.store(true, Ordering::Release);
        }
    }

    fn count(&self) -> usize {
        self.messages.load(Ordering::Acquire)
    }

    fn initialised(&self) -> bool {
        self.initialised.load(Ordering::Acquire)
    }
}

/// Whether the upgrade request chose the legacy `graphql-ws` protocol:
/// the first protocol it names that Waypost speaks, as the protocol
/// extractor picks it.
pub(crate) fn is_legacy(headers: &axum::http::HeaderMap) -> bool {
    use std::str::FromStr;
    headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        })
        .is_some_and(|p| matches!(p, WebSocketProtocols::SubscriptionsTransportWS))
}

/// Whether a client's message is `connection_init` (the same type name in
/// both protocols).
fn is_init(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(rename = "type", borrow)]
        kind: std::borrow::Cow<'a, str>,
    }
    serde_json::from_str::<Typed>(text).is_ok_and(|m| m.kind == "connection_init")
}

/// Why a connection was refused, as the protocol's close reason.
fn rejection(err: &DomainError) -> async_graphql::Error {
    async_graphql::Error::new(to_graphql(err).message)
}
