//! The benchmark's parts work (figures are `cargo xtask bench`'s business,
//! never asserted here): both sides get documented answers from the local
//! server, CPU time is read, single flight holds, the bulk run completes.

use std::time::Duration;

use conformance::bench::{self, Clients, Operation, Server, Side};
use usercentrics_pmp::retry::RetryPolicy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harness_runs_every_measurement() {
    let server = Server::start(Duration::from_millis(20)).unwrap();
    let clients = Clients::new(&server, RetryPolicy::default()).await.unwrap();
    for operation in [Operation::GetPreferences, Operation::SaveMyPreferences] {
        for side in [Side::Ours, Side::Raw] {
            let round = clients.round(side, operation, 8, 40).await.unwrap();
            assert!(
                round.rps > 0.0 && round.p50 <= round.p99,
                "{side:?} {operation:?}: {round:?}"
            );
            // Forty requests take CPU time, which /proc reports on Linux.
            assert!(
                round.cpu_per_request.is_some_and(|cpu| cpu > 0.0),
                "{side:?} {operation:?}: {round:?}"
            );
        }
    }
    let (authentications, _) = bench::single_flight(&server).await.unwrap();
    assert_eq!(authentications, 1);
    let (_, rps, _) = bench::bulk(&server.url).await.unwrap();
    assert!(rps > 0.0);
}
