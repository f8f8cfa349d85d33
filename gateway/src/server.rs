//! Starting the gateway: open the database (twice: the writer's connection and the
//! reads'), resume the stored snapshot, start the ledger's writer, then serve HTTP (on
//! `--listen`, and the trader-facing routes on `--public-listen` when given) until SIGINT or
//! SIGTERM, finishing the requests under way. The stop waits for the requests under way and
//! the writer's queue, not for a key build in the background (at most [`STOP_GRACE`]).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use zkmargin_formats::publisher_key::PublisherKey;

use crate::api::{self, App};
use crate::certificates::Verifier;
use crate::chain;
use crate::metrics::Metrics;
use crate::reader::Reader;
use crate::snapshots::{self, SnapshotCell};
use crate::storage::{self, Store};
use crate::token::EngineToken;
use crate::writer::{self, Writer};

/// How long the stop waits for background work on the blocking pool (a key build, a batch
/// whose clients are gone) before the process ends without it.
pub const STOP_GRACE: Duration = Duration::from_secs(1);

/// What bounds the load the gateway takes on.
#[derive(Clone, Debug)]
pub struct Limits {
    /// How long a request may take before it is answered 503 (`--request-timeout-ms`).
    pub request_timeout: Duration,
    /// Requests under way at once; one more is answered 503 at once (`--max-requests`).
    pub max_requests: usize,
    /// Jobs that may wait for the ledger's writer (`--ledger-queue`).
    pub ledger_queue: usize,
    /// How long a request waits for a place in that queue before it is answered 503
    /// (`--ledger-wait-ms`).
    pub ledger_wait: Duration,
}

/// The defaults of the flags.
impl Default for Limits {
    fn default() -> Limits {
        Limits {
            request_timeout: Duration::from_secs(30),
            max_requests: 1024,
            ledger_queue: writer::QUEUE,
            ledger_wait: writer::SEND_TIMEOUT,
        }
    }
}

pub struct Config {
    pub venue: String,
    pub publisher: PublisherKey,
    /// What the matching engine must present on every engine route.
    pub token: EngineToken,
    pub db: String,
    /// Every route (the engine's behind the token).
    pub listen: String,
    /// The trader-facing routes only (certificates, `/healthz`), when given.
    pub public_listen: Option<String>,
    /// Certificates that may wait or be verified at once (`--certificate-queue`).
    pub certificate_queue: usize,
    /// The on-chain registry whose freezes to follow, and how often (`--registry-url`,
    /// `--registry-poll-ms`; `crate::chain`).
    pub registry: Option<(String, std::time::Duration)>,
    pub limits: Limits,
}

/// Runs the gateway; returns when it was asked to stop, or with the reason it cannot start.
pub fn run(config: Config) -> Result<(), String> {
    let mut store = storage::open(&config.db).map_err(|e| e.to_string())?;
    eprintln!(
        "zkmargin-gateway: ledger {} (schema migrated)",
        store.describe()
    );
    let snapshot = SnapshotCell::default();
    let mut profile = None;
    if let Some(current) = resume_snapshot(store.as_mut(), &config)? {
        eprintln!(
            "zkmargin-gateway: resumed the snapshot of epoch {}",
            current.snapshot.epoch
        );
        profile = Some(current.snapshot.profile);
        snapshot.offer(Arc::new(current));
    }
    // The reads' own connection: they never queue behind charges nor lock what they read.
    let reads = storage::open(&config.db).map_err(|e| e.to_string())?;
    let reader = Reader::new(reads, config.venue.clone());
    let metrics = Arc::new(Metrics::default());
    let limits = config.limits.clone();
    let (writer, writer_thread) = Writer::spawn(
        store,
        config.venue.clone(),
        Arc::clone(&metrics),
        limits.ledger_queue,
        limits.ledger_wait,
    )
    .map_err(|e| format!("cannot start the ledger's writer: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    // The verifier's task lives on the runtime; the keys of the resumed snapshot's profile
    // are built in the background while the gateway already serves orders.
    let verifier =
        runtime.block_on(async { Verifier::spawn(Arc::clone(&metrics), config.certificate_queue) });
    if let Some(profile) = profile {
        verifier.warm(profile);
    }
    if let Some((url, interval)) = &config.registry {
        if !url.starts_with("http://") {
            return Err(format!(
                "--registry-url {url}: the chain's REST API over plain http:// (a node beside \
                 the gateway)"
            ));
        }
        eprintln!(
            "zkmargin-gateway: following the registry's freezes at {url} every {} ms",
            interval.as_millis()
        );
        let _inside = runtime.enter();
        chain::spawn(url.clone(), *interval, writer.clone(), Arc::clone(&metrics));
    }
    let app = Arc::new(App {
        venue: config.venue.clone(),
        publisher: config.publisher,
        token: config.token,
        writer,
        reader,
        verifier,
        metrics,
        snapshot,
        in_flight: Arc::new(tokio::sync::Semaphore::new(limits.max_requests)),
        request_timeout: limits.request_timeout,
    });
    runtime.block_on(serve(app, &config.listen, config.public_listen.as_deref()))?;
    // Every handle is dropped with the server and the runtime's tasks: the writer drains its
    // queue and stops. A key build still running on the blocking pool is not waited for.
    runtime.shutdown_timeout(STOP_GRACE);
    let _ = writer_thread.join();
    Ok(())
}

async fn bind(flag: &str, address: &str) -> Result<(TcpListener, std::net::SocketAddr), String> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| format!("{flag} {address}: cannot listen: {e}"))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("{flag} {address}: {e}"))?;
    Ok((listener, bound))
}

async fn serve(app: Arc<App>, listen: &str, public: Option<&str>) -> Result<(), String> {
    let (listener, address) = bind("--listen", listen).await?;
    let public = match public {
        Some(public) => Some(bind("--public-listen", public).await?),
        None => None,
    };
    // Standard output: tools and tests read the actual ports from these lines, in this order.
    println!("listening on {address}");
    eprintln!(
        "zkmargin-gateway: venue {} listening on http://{address}",
        app.venue
    );
    if let Some((_, public)) = &public {
        println!("public listening on {public}");
        eprintln!("zkmargin-gateway: certificates and /healthz also on http://{public}");
    }
    // One stop signal for both servers.
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        stop_signal().await;
        let _ = stop.send(true);
    });
    let engine = run_server(listener, api::router(Arc::clone(&app)), stopped.clone());
    match public {
        Some((listener, _)) => {
            let public = run_server(listener, api::public_router(app), stopped);
            tokio::try_join!(engine, public).map(|_| ())
        }
        None => engine.await,
    }
}

async fn run_server(
    listener: TcpListener,
    router: Router,
    mut stopped: watch::Receiver<bool>,
) -> Result<(), String> {
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })
        .await
        .map_err(|e| format!("server: {e}"))
}

async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    eprintln!("zkmargin-gateway: stopping");
}

/// The stored snapshot of the highest epoch, checked again (the publisher or venue may have
/// changed since it was stored: then the gateway starts without one and says so).
fn resume_snapshot(
    store: &mut dyn Store,
    config: &Config,
) -> Result<Option<snapshots::Current>, String> {
    let mut latest = None;
    store
        .transaction(&mut |tx| {
            latest = tx.latest_snapshot()?;
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    let Some(record) = latest else {
        return Ok(None);
    };
    match snapshots::check(&record.body, &config.publisher, &config.venue) {
        Ok(current) => Ok(Some(current)),
        Err(reason) => {
            eprintln!(
                "zkmargin-gateway: the stored snapshot of epoch {} is not usable ({reason}): \
                 waiting for POST /v1/snapshots",
                record.epoch
            );
            Ok(None)
        }
    }
}
