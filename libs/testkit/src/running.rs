//! A service running on a Tokio runtime of its own, so a test can kill it abruptly
//! (the runtime is dropped mid-flight: nothing drains, like a SIGKILL) and start
//! another in its place.

use std::future::Future;

use tokio::sync::oneshot;

pub struct Running {
    pub address: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("address", &self.address)
            .finish()
    }
}

impl Running {
    /// Runs `serve` on a new runtime; `serve` sends its port once it listens.
    pub async fn start<F, Fut>(serve: F) -> Self
    where
        F: FnOnce(oneshot::Sender<u16>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the service");
        let (ready, port) = oneshot::channel();
        runtime.spawn(serve(ready));
        let port = port.await.expect("the service failed to start");
        Self {
            address: format!("http://127.0.0.1:{port}"),
            runtime: Some(runtime),
        }
    }

    /// Builds a service with `build` on a runtime of its own and serves it until it is
    /// killed or dropped. (A service that needs no killing runs on the test's own
    /// runtime: [`service::Service::spawn`].)
    pub async fn service<F, Fut>(build: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<service::Service>> + Send + 'static,
    {
        Self::start(|ready| async move {
            let service = build().await.expect("build the service");
            let _ = ready.send(service.port());
            let _ = service.run_until(std::future::pending()).await;
        })
        .await
    }

    /// Kills it: every task stops where it is.
    pub fn kill(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
