//! One client connection: read, parse, execute, write.
//!
//! Everything parsed from one read is executed in order and the replies
//! accumulate in one buffer that leaves in a single write, so a pipelined
//! batch costs one read and one write system call. Buffers are reused for
//! the life of the connection; the parser borrows arguments from the read
//! buffer instead of copying them.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::registry::ClientHandle;
use super::{Client, Server};
use crate::command::{Args, dispatch};
use crate::protocol::{Parser, ProtocolError, Reply, Source};

const READ_CHUNK: usize = 16 * 1024;
/// Replies beyond this are written out mid-batch so output stays bounded.
const FLUSH_AT: usize = 1 << 20;

pub async fn serve(mut stream: TcpStream, server: Arc<Server>) {
    let addr = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let laddr = stream
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut client = Client::new(server.new_client_id(), addr, laddr);
    server
        .stats
        .total_connections_received
        .fetch_add(1, Ordering::Relaxed);
    server.clients.register(Arc::new(ClientHandle {
        id: client.id,
        addr: client.addr.clone(),
        laddr: client.laddr.clone(),
    }));
    serve_client(&mut stream, &server, &mut client).await;
    server.clients.unregister(client.id);
}

async fn serve_client(stream: &mut TcpStream, server: &Server, client: &mut Client) {
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut output: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut parser = Parser::new(server.config.proto_max_bulk_len());
    loop {
        reserve_for_next_read(&mut input, &parser);
        match stream.read_buf(&mut input).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        loop {
            let outcome = run_batch(server, client, &mut parser, &mut input, &mut output);
            if !output.is_empty() {
                if stream.write_all(&output).await.is_err() {
                    return;
                }
                output.clear();
                if output.capacity() > 4 * FLUSH_AT {
                    output.shrink_to(READ_CHUNK);
                }
            }
            match outcome {
                Batch::Close => return,
                Batch::FlushNeeded => continue,
                Batch::Done => break,
            }
        }
        if input.len() > server.config.client_query_buffer_limit() {
            crate::log::warning(&format!(
                "Closing client that reached max query buffer length: id={} addr={}",
                client.id, client.addr
            ));
            return;
        }
    }
}

#[derive(PartialEq, Eq)]
enum Batch {
    /// Every complete command ran.
    Done,
    /// Output grew past its bound; write it and go on.
    FlushNeeded,
    /// The connection must close after the output is written.
    Close,
}

/// Executes every complete command in `input`, appending replies to `output`.
fn run_batch(
    server: &Server,
    client: &mut Client,
    parser: &mut Parser,
    input: &mut BytesMut,
    output: &mut Vec<u8>,
) -> Batch {
    loop {
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
            dispatch::execute(server, client, Args::new(base, &parser.spans), output);
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

/// Feeds a whole request stream to an in-process server and returns every
/// reply byte, exactly as a connection would: for tests and fuzzing of the
/// dispatcher without sockets. Stops at a protocol error or QUIT.
pub fn run_requests(server: &Server, client: &mut Client, requests: &[u8]) -> Vec<u8> {
    let mut parser = Parser::new(server.config.proto_max_bulk_len());
    let mut input = BytesMut::from(requests);
    let mut output = Vec::new();
    while run_batch(server, client, &mut parser, &mut input, &mut output) == Batch::FlushNeeded {}
    output
}

/// Makes room for the next read. While a large bulk arrives the buffer
/// doubles at most per read, so memory follows the bytes actually received,
/// never the length a client merely announced.
fn reserve_for_next_read(input: &mut BytesMut, parser: &Parser) {
    let want = match parser.awaited_bulk() {
        Some(bulk) => {
            let missing = (parser.pending() + bulk + 2).saturating_sub(input.len());
            missing.min(input.len().max(READ_CHUNK)).max(READ_CHUNK)
        }
        None => READ_CHUNK,
    };
    input.reserve(want);
}
