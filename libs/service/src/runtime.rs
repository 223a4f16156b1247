//! Serving and the workers' lifecycle.
//!
//! One [`CancellationToken`] is the shutdown signal every part listens to, and a join of
//! each worker's task is how the service knows they finished: the pattern of
//! mini-redis's `shutdown.rs`, with tokio-util's token instead of a broadcast channel.

use std::{future::Future, net::SocketAddr};

use anyhow::Context;
use axum::Router;
use futures::future::BoxFuture;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::{CancellationToken, DropGuard};

/// A worker: named for the logs and for the error that reports its panic.
struct Worker {
    name: &'static str,
    run: Box<dyn FnOnce(CancellationToken) -> BoxFuture<'static, ()> + Send>,
}

/// A service being assembled: its router and workers, not bound yet.
pub struct Builder {
    name: &'static str,
    router: Router,
    workers: Vec<Worker>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("name", &self.name)
            .field("workers", &worker_names(&self.workers))
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// Adds a background worker. `run` gets the service's stop token: it returns once
    /// the token is cancelled, after finishing what it has in hand.
    pub fn worker<F, Fut>(mut self, name: &'static str, run: F) -> Self
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.workers.push(Worker {
            name,
            run: Box::new(move |stop| Box::pin(run(stop))),
        });
        self
    }

    /// Binds `address` (port 0 picks a free one). Does not serve yet.
    pub async fn bind(self, address: SocketAddr) -> anyhow::Result<Service> {
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("binding {address}"))?;
        let address = listener.local_addr().context("reading the bound address")?;
        Ok(Service {
            name: self.name,
            listener,
            address,
            router: self.router,
            workers: self.workers,
        })
    }
}

/// A bound service with its workers, ready to run.
pub struct Service {
    name: &'static str,
    listener: TcpListener,
    address: SocketAddr,
    router: Router,
    workers: Vec<Worker>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("workers", &worker_names(&self.workers))
            .finish_non_exhaustive()
    }
}

impl Service {
    /// Starts assembling the service `name` (as it appears in logs) around `router`.
    pub fn builder(name: &'static str, router: Router) -> Builder {
        Builder {
            name,
            router,
            workers: Vec::new(),
        }
    }

    /// The port actually bound (useful when the settings asked for port 0).
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Serves until SIGTERM or Ctrl-C, then drains.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(telemetry::shutdown_signal()).await
    }

    /// Starts the workers and serves until `shutdown` resolves; then stops accepting,
    /// lets in-flight requests finish, tells every worker to stop and waits for each.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        telemetry::metrics::spawn_runtime_sampler();
        let workers: Vec<(&'static str, JoinHandle<()>)> = self
            .workers
            .into_iter()
            .map(|worker| (worker.name, tokio::spawn((worker.run)(stop.clone()))))
            .collect();
        tracing::info!(address = %self.address, "{} listening", self.name);
        // With the client's address: keyless callers of a facade are rate-limited by it.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let stopped = stop.clone();
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(async move {
                tokio::select! {
                    () = shutdown => {},
                    () = stopped.cancelled() => {},
                }
            })
            .await
            .context("serving HTTP");
        stop.cancel();
        for (name, worker) in workers {
            worker.await.with_context(|| format!("{name} worker"))?;
        }
        served
    }

    /// Runs the service on the current runtime in the background, until the answer is
    /// dropped: how tests start one.
    pub fn spawn(self) -> Spawned {
        let address = format!("http://127.0.0.1:{}", self.port());
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let name = self.name;
        tokio::spawn(async move {
            if let Err(e) = self.run_until(stopped.cancelled_owned()).await {
                tracing::error!(error = ?e, "{name} stopped with an error");
            }
        });
        Spawned {
            address,
            _stop: stop.drop_guard(),
        }
    }
}

/// A service running in the background (see [`Service::spawn`]); dropping it stops the
/// service, which drains as it does on a shutdown signal.
#[derive(Debug)]
pub struct Spawned {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    _stop: DropGuard,
}

fn worker_names(workers: &[Worker]) -> Vec<&'static str> {
    workers.iter().map(|worker| worker.name).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    };

    use axum::routing::get;

    use super::*;

    #[tokio::test]
    async fn a_stop_lets_every_worker_finish_what_it_has_in_hand() {
        let finished = Arc::new(AtomicBool::new(false));
        let done = finished.clone();
        let service = Service::builder("test", Router::new().route("/", get(|| async { "hi" })))
            .worker("slow", move |stop| async move {
                stop.cancelled().await;
                // Work in hand at the stop: it completes before the run returns.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                done.store(true, Ordering::SeqCst);
            })
            .bind(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let address = format!("http://127.0.0.1:{}/", service.port());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let run = tokio::spawn(service.run_until(async {
            let _ = rx.await;
        }));
        let body = reqwest::get(&address).await.unwrap().text().await.unwrap();
        assert_eq!(body, "hi");
        tx.send(()).unwrap();
        run.await.unwrap().unwrap();
        assert!(finished.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_worker_that_panicked_fails_the_run_and_is_named() {
        let service = Service::builder("test", Router::new())
            .worker("broken", |_stop| async { panic!("boom") })
            .bind(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let error = service
            .run_until(tokio::time::sleep(std::time::Duration::from_millis(50)))
            .await
            .unwrap_err();
        assert!(format!("{error:#}").contains("broken worker"), "{error:#}");
    }
}
