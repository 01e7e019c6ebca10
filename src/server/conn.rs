//! One client connection: read, parse, execute, write.
//!
//! Everything parsed from one read is executed in order and the replies
//! accumulate in one buffer that leaves in a single write, so a pipelined
//! batch costs one read and one write system call. Buffers are reused for
//! the life of the connection; the parser borrows arguments from the read
//! buffer instead of copying them.
//!
//! The loop is generic over the stream, so TCP and unix socket clients run
//! the same code. Besides its socket, a connection listens to its push
//! channel (MONITOR lines, CLIENT KILL, idle timeout; pub/sub later).
//!
//! Back-pressure: a connection reads no new commands until its output has
//! been written, so a client that does not read its replies stalls only
//! itself and holds at most about one flush worth of replies; the
//! `client-output-buffer-limit` of its class closes it when the unsent
//! output passes the hard limit, or stays over the soft limit too long.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::listener::Accepted;
use crate::command::Args;
use crate::config::{ClientClass, OutputLimit};
use crate::dispatch::Dispatcher;
use crate::protocol::{Parser, ProtocolError, Reply, Source};
use crate::security::auth;
use crate::state::Session;
use crate::state::registry::{ClientHandle, Push, flags};
use crate::state::session::ReplyMode;
use crate::util::time::coarse_now_ms;

const READ_CHUNK: usize = 16 * 1024;
/// Once this much of a bulk has arrived, its buffer is sized for all of it.
const EXACT_AFTER: usize = 1 << 20;
/// A read buffer grown past this is given back as soon as it empties.
const SHRINK_ABOVE: usize = 1 << 20;
/// Replies beyond this are written out mid-batch so output stays bounded.
const FLUSH_AT: usize = 1 << 20;

/// Serves an admitted connection until it closes, then frees its slot.
pub async fn serve(accepted: Accepted, server: Arc<Dispatcher>) {
    match accepted {
        Accepted::Tcp(std_stream) => {
            let fd = std::os::fd::AsRawFd::as_raw_fd(&std_stream);
            let addr = std_stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            let laddr = std_stream
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            match tokio::net::TcpStream::from_std(std_stream) {
                Ok(stream) => serve_stream(stream, (addr, laddr, fd, false), server).await,
                Err(_) => server.shared.clients.release(),
            }
        }
        Accepted::Unix(std_stream) => {
            let fd = std::os::fd::AsRawFd::as_raw_fd(&std_stream);
            // Redis shows the socket's own path, with port 0, on both sides.
            let path = std_stream
                .local_addr()
                .ok()
                .and_then(|a| a.as_pathname().map(|p| p.to_string_lossy().into_owned()))
                .unwrap_or_default();
            let addr = format!("{path}:0");
            match tokio::net::UnixStream::from_std(std_stream) {
                Ok(stream) => serve_stream(stream, (addr.clone(), addr, fd, true), server).await,
                Err(_) => server.shared.clients.release(),
            }
        }
    }
}

async fn serve_stream<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    (addr, laddr, fd, unix): (String, String, i32, bool),
    dispatcher: Arc<Dispatcher>,
) {
    let server = &dispatcher.shared;
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = Arc::new(ClientHandle::new(
        server.new_client_id(),
        addr,
        laddr,
        fd,
        tx,
    ));
    handle.set_flag(flags::UNIX, unix);
    server.clients.register(handle.clone());
    server
        .stats
        .total_connections_received
        .fetch_add(1, Ordering::Relaxed);
    let authenticated = crate::security::auth::default_user_nopass(&server.config);
    let mut client = Session::with_handle(handle, authenticated);
    let mut conn = Conn {
        stream,
        pushes: rx,
        input: BytesMut::with_capacity(READ_CHUNK),
        output: Vec::with_capacity(READ_CHUNK),
        parser: Parser::new(server.config.proto_max_bulk_len()),
        soft_since: None,
        grown: false,
    };
    conn.run(&dispatcher, &mut client).await;
    let big = conn.grown || conn.output.capacity() > SHRINK_ABOVE;
    drop(conn);
    if big {
        crate::alloc::give_back_freed_memory();
    }
    server.clients.unregister(client.id);
}

struct Conn<S> {
    stream: S,
    pushes: mpsc::UnboundedReceiver<Push>,
    input: BytesMut,
    output: Vec<u8>,
    parser: Parser,
    /// When the unsent output first went over the soft limit, if it still is.
    soft_since: Option<i64>,
    /// The read buffer grew past `SHRINK_ABOVE` for a big argument.
    grown: bool,
}

enum Event {
    Push(Option<Push>),
    Io(std::io::Result<usize>),
    Tick,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    async fn run(&mut self, dispatcher: &Dispatcher, client: &mut Session) {
        let server = &dispatcher.shared;
        loop {
            if !self.flush(dispatcher, client).await {
                return;
            }
            self.grown |= reserve_for_next_read(&mut self.input, &self.parser);
            let event = self.next_read_event().await;
            match event {
                Event::Push(Some(Push::Data(bytes))) => {
                    self.output.extend_from_slice(&bytes);
                    continue;
                }
                Event::Io(Ok(n)) if n > 0 => server.stats.add_net_input(n),
                _ => return,
            }
            client
                .handle
                .last_interaction_ms
                .store(coarse_now_ms(), Ordering::Relaxed);
            self.publish(client);
            if !self.execute_input(dispatcher, client).await {
                return;
            }
            shrink_if_idle(&mut self.input, &mut self.grown);
            if self.input.len() > server.config.client_query_buffer_limit() {
                crate::log::warning(&format!(
                    "Closing client that reached max query buffer length: {}",
                    String::from_utf8_lossy(&info_line(dispatcher, client))
                ));
                return;
            }
        }
    }

    /// Waits for input or a push. Pushes go first when one is queued (so a
    /// flooding client still hears CLIENT KILL); otherwise the socket is
    /// polled first, and a client with requests waiting never pays for
    /// looking at its push channel.
    async fn next_read_event(&mut self) -> Event {
        let Conn {
            stream,
            input,
            pushes,
            ..
        } = self;
        std::future::poll_fn(|cx| {
            if !pushes.is_empty()
                && let Poll::Ready(push) = pushes.poll_recv(cx)
            {
                return Poll::Ready(Event::Push(push));
            }
            if let Poll::Ready(read) = pin!(stream.read_buf(&mut *input)).poll(cx) {
                return Poll::Ready(Event::Io(read));
            }
            pushes.poll_recv(cx).map(Event::Push)
        })
        .await
    }

    /// One write attempt that does not wait: `None` if the socket is full.
    fn write_now(&mut self, from: usize) -> Option<std::io::Result<usize>> {
        let mut cx = Context::from_waker(Waker::noop());
        match Pin::new(&mut self.stream).poll_write(&mut cx, &self.output[from..]) {
            Poll::Ready(result) => Some(result),
            Poll::Pending => None,
        }
    }

    /// Runs every complete command read so far; false when the connection must close.
    async fn execute_input(&mut self, dispatcher: &Dispatcher, client: &mut Session) -> bool {
        super::park::did_work();
        loop {
            let outcome = run_batch(
                dispatcher,
                client,
                &mut self.parser,
                &mut self.input,
                &mut self.output,
            );
            match outcome {
                Batch::Done => return true,
                Batch::FlushNeeded => {
                    if !self.flush(dispatcher, client).await {
                        return false;
                    }
                }
                Batch::Paused(wait_ms) => {
                    if !self.flush(dispatcher, client).await || !self.wait(wait_ms).await {
                        return false;
                    }
                }
                Batch::Close => {
                    self.flush(dispatcher, client).await;
                    return false;
                }
            }
        }
    }

    /// Sleeps for a paused command, still honouring CLIENT KILL.
    async fn wait(&mut self, ms: i64) -> bool {
        // Short naps: CLIENT UNPAUSE may end the pause early.
        let nap = Duration::from_millis(ms.clamp(1, 10) as u64);
        let event = tokio::select! {
            biased;
            push = self.pushes.recv() => Event::Push(push),
            _ = tokio::time::sleep(nap) => Event::Tick,
        };
        match event {
            Event::Push(Some(Push::Data(bytes))) => {
                self.output.extend_from_slice(&bytes);
                true
            }
            Event::Tick => true,
            _ => false,
        }
    }

    /// Writes all pending output, taking pushed data meanwhile and
    /// enforcing the output buffer limits; false when the connection must close.
    async fn flush(&mut self, dispatcher: &Dispatcher, client: &mut Session) -> bool {
        let server = &dispatcher.shared;
        let mut written = 0;
        let mut waited = false;
        while written < self.output.len() {
            let limit = server
                .config
                .client_output_buffer_limit(client_class(&client.handle));
            let pending = self.output.len() - written;
            if self.over_limit(limit, pending) {
                client.handle.omem.store(pending, Ordering::Relaxed);
                crate::log::warning(&format!(
                    "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
                    String::from_utf8_lossy(&info_line(dispatcher, client))
                ));
                return false;
            }
            // Most replies leave in one write at once; only a full socket
            // needs the waiting below.
            match self.write_now(written) {
                Some(Ok(n)) if n > 0 => {
                    written += n;
                    server.stats.add_net_output(n);
                    continue;
                }
                Some(_) => return false,
                // The socket is full: CLIENT LIST shows what waits.
                None => {
                    waited = true;
                    client.handle.omem.store(pending, Ordering::Relaxed);
                }
            }
            // While over the soft limit, wake up to see whether time ran out.
            let over_soft = self.soft_since.is_some();
            let tick = async move {
                if over_soft {
                    tokio::time::sleep(Duration::from_millis(100)).await
                } else {
                    std::future::pending().await
                }
            };
            let event = tokio::select! {
                biased;
                push = self.pushes.recv() => Event::Push(push),
                wrote = self.stream.write(&self.output[written..]) => Event::Io(wrote),
                _ = tick => Event::Tick,
            };
            match event {
                Event::Push(Some(Push::Data(bytes))) => self.output.extend_from_slice(&bytes),
                Event::Io(Ok(n)) if n > 0 => {
                    written += n;
                    server.stats.add_net_output(n);
                }
                Event::Tick => {}
                _ => return false,
            }
        }
        self.soft_since = None;
        if waited {
            client.handle.omem.store(0, Ordering::Relaxed);
        }
        self.output.clear();
        if self.output.capacity() > 4 * FLUSH_AT {
            self.output.shrink_to(READ_CHUNK);
        }
        true
    }

    /// Redis's rule: over the hard limit at once, or over the soft limit for
    /// longer than its seconds.
    fn over_limit(&mut self, limit: OutputLimit, pending: usize) -> bool {
        let pending = pending as u64;
        if limit.hard != 0 && pending >= limit.hard {
            return true;
        }
        if limit.soft == 0 || pending < limit.soft {
            self.soft_since = None;
            return false;
        }
        let now = coarse_now_ms();
        let since = *self.soft_since.get_or_insert(now);
        now - since > (limit.soft_seconds as i64).saturating_mul(1000)
    }

    /// What CLIENT LIST shows of the buffers, refreshed once per read, before
    /// the batch runs (so a client listing itself sees its own request).
    fn publish(&self, client: &Session) {
        let handle = &client.handle;
        handle.qbuf.store(self.input.len(), Ordering::Relaxed);
        handle.rbs.store(self.input.capacity(), Ordering::Relaxed);
    }
}

/// The output-limit class of a client. Monitors are normal clients here, as
/// in Redis; pub/sub and replicas get their classes when they exist.
fn client_class(_handle: &ClientHandle) -> ClientClass {
    ClientClass::Normal
}

#[derive(PartialEq, Eq)]
enum Batch {
    /// Every complete command ran.
    Done,
    /// Output grew past its bound; write it and go on.
    FlushNeeded,
    /// CLIENT PAUSE holds the next command for about this many ms.
    Paused(i64),
    /// The connection must close after the output is written.
    Close,
}

/// Executes every complete command in `input`, appending replies to `output`.
fn run_batch(
    dispatcher: &Dispatcher,
    client: &mut Session,
    parser: &mut Parser,
    input: &mut BytesMut,
    output: &mut Vec<u8>,
) -> Batch {
    loop {
        // Read per command, so CONFIG SET reaches open connections at once
        // and AUTH lifts the pre-authentication limits for what follows.
        let config = &dispatcher.shared.config;
        parser.set_max_bulk(config.proto_max_bulk_len());
        parser.set_unauthenticated(!client.authenticated && auth::required(config));
        let parsed = match parser.parse(input) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return Batch::Done,
            Err(ProtocolError(text)) => {
                // Through `Reply::error`, which blanks CR and LF: the text may
                // quote a request byte (`expected '$', got '\n'`), and a raw
                // newline there would break the reply stream (found by fuzzing).
                Reply::new(output, client.resp3).error(&format!("ERR Protocol error: {text}"));
                return Batch::Close;
            }
        };
        if !parser.spans.is_empty() {
            let base: &[u8] = match parsed.source {
                Source::Input => input,
                Source::Scratch => &parser.scratch,
            };
            let args = Args::new(base, &parser.spans);
            if let Some(wait) = dispatcher.paused_for(client, &args) {
                // Left unconsumed: the parser reads it again after the pause.
                return Batch::Paused(wait);
            }
            let mark = output.len();
            dispatcher.execute(client, args, output);
            if client.reply_mode != ReplyMode::On {
                apply_reply_mode(client, output, mark);
            }
        }
        input.advance(parsed.consumed);
        if client.close_after_reply {
            return Batch::Close;
        }
        if output.len() >= FLUSH_AT {
            return Batch::FlushNeeded;
        }
    }
}

/// The client's CLIENT LIST line, for log messages about it.
fn info_line(dispatcher: &Dispatcher, client: &Session) -> Vec<u8> {
    let name = client
        .handle
        .last_cmd()
        .and_then(|id| dispatcher.table.by_id(id))
        .map_or("NULL", |c| c.fullname.as_str());
    client.handle.info_line(name)
}

/// CLIENT REPLY OFF drops every reply; SKIP drops the next command's.
fn apply_reply_mode(client: &mut Session, output: &mut Vec<u8>, mark: usize) {
    match client.reply_mode {
        ReplyMode::Off => output.truncate(mark),
        ReplyMode::Skip => {
            output.truncate(mark);
            client.reply_mode = ReplyMode::On;
        }
        // Set by the command that just ran: its own reply is already none.
        ReplyMode::SkipNext => client.reply_mode = ReplyMode::Skip,
        // EXEC dropped what followed CLIENT REPLY OFF itself.
        ReplyMode::OffFromNext => client.reply_mode = ReplyMode::Off,
        ReplyMode::On => {}
    }
}

/// Feeds a whole request stream to an in-process server and returns every
/// reply byte, exactly as a connection would: for tests and fuzzing of the
/// dispatcher without sockets. Stops at a protocol error or QUIT; a CLIENT
/// PAUSE is waited out by spinning.
pub fn run_requests(dispatcher: &Dispatcher, client: &mut Session, requests: &[u8]) -> Vec<u8> {
    let mut parser = Parser::new(dispatcher.shared.config.proto_max_bulk_len());
    let mut input = BytesMut::from(requests);
    let mut output = Vec::new();
    while let Batch::FlushNeeded | Batch::Paused(_) =
        run_batch(dispatcher, client, &mut parser, &mut input, &mut output)
    {}
    output
}

/// Makes room for the next read; says whether the buffer is now big. While a bulk arrives, the buffer doubles
/// as its bytes come in, never past what the header announced, so a client
/// that announces a huge bulk and sends little costs little. Once
/// [`EXACT_AFTER`] bytes of a big bulk have arrived, the buffer is sized for
/// the rest of it, once: a big argument costs about its own size and is
/// copied at most a few MiB on the way, where doubling to the end would copy
/// it over and over (stalling the worker's other clients) and leave the
/// abandoned copies resident. The header was checked against the limits
/// (`proto-max-bulk-len`, the pre-authentication limits) before this runs.
fn reserve_for_next_read(input: &mut BytesMut, parser: &Parser) -> bool {
    let Some(bulk) = parser.awaited_bulk() else {
        input.reserve(READ_CHUNK);
        return input.capacity() > SHRINK_ABOVE;
    };
    let needed = parser.pending() + bulk + 2;
    let missing = needed.saturating_sub(input.len());
    let arrived = input.len().saturating_sub(parser.pending());
    if bulk >= 2 * EXACT_AFTER && arrived >= EXACT_AFTER {
        if input.capacity() < needed {
            let mut exact = BytesMut::with_capacity(needed);
            exact.extend_from_slice(input);
            *input = exact;
        }
    } else {
        input.reserve(missing.min(input.len().max(READ_CHUNK)).max(READ_CHUNK));
    }
    input.capacity() > SHRINK_ABOVE
}

/// Drops a read buffer that grew for a big argument once it is empty, and
/// gives the memory back to the system. (`capacity()` cannot tell: it
/// counts only what lies after the consumed bytes.)
fn shrink_if_idle(input: &mut BytesMut, grown: &mut bool) {
    if *grown && input.is_empty() {
        *input = BytesMut::with_capacity(READ_CHUNK);
        *grown = false;
        crate::alloc::give_back_freed_memory();
    }
}
