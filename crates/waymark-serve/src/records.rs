//! Decision records on disk: JSON lines appended to one file per process and synced
//! (`fsync` of the data) before the decision they record is answered, so an acknowledged
//! decision survives a crash.
//!
//! One writer thread takes every record waiting and writes and syncs them together (group
//! commit): many concurrent requests share one sync.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use tokio::sync::oneshot;

type Job = (Vec<u8>, oneshot::Sender<Result<(), String>>);

/// Appends decision records to a file.
pub(crate) struct RecordWriter {
    tx: mpsc::Sender<Job>,
    path: PathBuf,
}

impl RecordWriter {
    /// Opens a new records file in `dir` (creating the folder) and starts the writer.
    pub fn open(dir: &Path) -> Result<RecordWriter, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create records folder `{}`: {e}", dir.display()))?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let path = dir.join(format!("decisions-{stamp}-{}.jsonl", std::process::id()));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot open records file `{}`: {e}", path.display()))?;
        // The new file's name must survive a crash too.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("waymark-records".into())
            .spawn(move || write_loop(file, rx))
            .map_err(|e| format!("cannot start the records writer: {e}"))?;
        Ok(RecordWriter { tx, path })
    }

    /// The file records go to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `lines` (each ending in a newline) and returns once they are on disk.
    pub async fn write(&self, lines: Vec<u8>) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((lines, done))
            .map_err(|_| "the records writer has stopped".to_string())?;
        wait.await
            .map_err(|_| "the records writer has stopped".to_string())?
    }
}

fn write_loop(mut file: File, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let mut result = Ok(());
        for (bytes, _) in &batch {
            if let Err(e) = file.write_all(bytes) {
                result = Err(format!("cannot write a decision record: {e}"));
                break;
            }
        }
        if result.is_ok()
            && let Err(e) = file.sync_data()
        {
            result = Err(format!("cannot sync decision records: {e}"));
        }
        if let Err(e) = &result {
            tracing::error!("{e}");
        }
        for (_, done) in batch {
            let _ = done.send(result.clone());
        }
    }
}
