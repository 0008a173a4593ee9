//! A bounded loopback load run: `POST /v1/rulesets/marac.referral/evaluate` with the "13
//! ticks" case at 1, 8 and 64 concurrent clients, with and without the explanation,
//! printing requests a second and p50/p99 latency.
//!
//! ```sh
//! cargo run --release -p waymark-serve --example load [-- SECONDS]
//! ```
//!
//! The service runs in this process on its own runtime; the clients run on a single-thread
//! runtime, each holding one kept-alive HTTP/1.1 connection (hyper's connection-level
//! client, without a pool), so that as little of the machine as possible goes to the load
//! itself. Any failed request stops the run with the reason.

use std::error::Error;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

type Failure = Box<dyn Error + Send + Sync>;

/// One kept-alive connection sending the same request again and again.
struct Client {
    sender: SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    body: Bytes,
}

impl Client {
    async fn connect(addr: SocketAddr, body: Bytes) -> Result<Client, Failure> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        // The connection is driven on its own task until the client drops its sender.
        tokio::spawn(connection);
        Ok(Client { sender, addr, body })
    }

    /// Sends the request and reads the whole answer, which must be 200.
    async fn call(&mut self) -> Result<(), Failure> {
        let request = hyper::Request::post("/v1/rulesets/marac.referral/evaluate")
            .header("host", self.addr.to_string())
            .header("content-type", "application/json")
            .body(Full::new(self.body.clone()))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        response.into_body().collect().await?;
        if status != hyper::StatusCode::OK {
            return Err(format!("the service answered {status}").into());
        }
        Ok(())
    }
}

/// Runs `clients` connections for `seconds`; requests a second and latencies in µs.
async fn run(
    addr: SocketAddr,
    body: &str,
    clients: usize,
    seconds: f64,
) -> Result<(f64, Vec<u32>), Failure> {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let body = Bytes::from(body.to_string());
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(addr, body).await?;
            let mut latencies = Vec::with_capacity(100_000);
            while Instant::now() < deadline {
                let t = Instant::now();
                c.call().await?;
                latencies.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            Ok::<_, Failure>(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    Ok((all.len() as f64 / elapsed, all))
}

/// The `p` quantile of sorted latencies in µs, in ms (0 when there are none).
fn percentile(sorted: &[u32], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |v| f64::from(*v) / 1000.0)
}

fn main() -> Result<(), Failure> {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let facts = std::fs::read_to_string(root.join("examples/cases/sc02-thirteen-ticks.json"))?;
    let server = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let config = waymark_serve::Config {
        rulesets: vec![root.join("rulesets")],
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..waymark_serve::Config::default()
    };
    let running = server.block_on(waymark_serve::start(config))?;
    let addr = running.local_addr();
    let clients = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!(
        "POST /v1/rulesets/marac.referral/evaluate (sc02), {seconds} s per row, {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| explain | clients | requests/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    for explain in [false, true] {
        let body = format!("{{\"facts\": {facts}, \"explain\": {explain}}}");
        // Warm up.
        clients.block_on(run(addr, &body, 8, 0.5))?;
        for n in [1, 8, 64] {
            let (rate, lat) = clients.block_on(run(addr, &body, n, seconds))?;
            println!(
                "| {} | {n} | {rate:.0} | {:.3} | {:.3} |",
                if explain { "yes" } else { "no" },
                percentile(&lat, 0.50),
                percentile(&lat, 0.99)
            );
        }
    }
    server.block_on(running.shutdown());
    Ok(())
}
