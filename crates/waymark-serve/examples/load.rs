//! A bounded loopback load run: `POST /v1/rulesets/marac.referral/evaluate` with the "13
//! ticks" case at 1, 8 and 64 concurrent clients, with and without the explanation,
//! printing requests a second and p50/p99 latency.
//!
//! ```sh
//! cargo run --release -p waymark-serve --example load [-- SECONDS]
//! ```
//!
//! The service runs in this process on its own runtime; the clients run on a single-thread
//! runtime and speak plain HTTP/1.1 with kept-alive connections, so that as little of the
//! machine as possible goes to the load itself.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at the first failure"
)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One kept-alive connection sending the same request again and again.
struct Client {
    stream: TcpStream,
    request: Vec<u8>,
    buffer: Vec<u8>,
}

impl Client {
    async fn connect(addr: SocketAddr, request: Vec<u8>) -> Client {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            request,
            buffer: Vec::with_capacity(64 << 10),
        }
    }

    /// Sends the request and reads the whole answer; its status.
    async fn call(&mut self) -> u16 {
        self.stream.write_all(&self.request).await.unwrap();
        self.buffer.clear();
        let mut chunk = [0u8; 16 << 10];
        loop {
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the connection closed");
            self.buffer.extend_from_slice(&chunk[..n]);
            let Some(end) = find(&self.buffer, b"\r\n\r\n") else {
                continue;
            };
            let head = std::str::from_utf8(&self.buffer[..end]).unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .expect("a content length");
            if self.buffer.len() >= end + 4 + length {
                return head[9..12].parse().unwrap();
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn request(addr: SocketAddr, body: &str) -> Vec<u8> {
    format!(
        "POST /v1/rulesets/marac.referral/evaluate HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Runs `clients` connections for `seconds`; requests a second and latencies in µs.
async fn run(addr: SocketAddr, body: &str, clients: usize, seconds: f64) -> (f64, Vec<u32>) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let req = request(addr, body);
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(addr, req).await;
            let mut latencies = Vec::with_capacity(100_000);
            while Instant::now() < deadline {
                let t = Instant::now();
                assert_eq!(c.call().await, 200);
                latencies.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    (all.len() as f64 / elapsed, all)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let facts =
        std::fs::read_to_string(root.join("examples/cases/sc02-thirteen-ticks.json")).unwrap();
    let server = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = waymark_serve::Config {
        rulesets: vec![root.join("rulesets")],
        addr: "127.0.0.1:0".parse().unwrap(),
        ..waymark_serve::Config::default()
    };
    let running = server.block_on(waymark_serve::start(config)).unwrap();
    let addr = running.local_addr();
    let clients = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "POST /v1/rulesets/marac.referral/evaluate (sc02), {seconds} s per row, {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| explain | clients | requests/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    for explain in [false, true] {
        let body = format!("{{\"facts\": {facts}, \"explain\": {explain}}}");
        // Warm up.
        clients.block_on(run(addr, &body, 8, 0.5));
        for n in [1, 8, 64] {
            let (rate, lat) = clients.block_on(run(addr, &body, n, seconds));
            println!(
                "| {} | {n} | {rate:.0} | {:.3} | {:.3} |",
                if explain { "yes" } else { "no" },
                percentile(&lat, 0.50),
                percentile(&lat, 0.99)
            );
        }
    }
    server.block_on(running.shutdown());
}
