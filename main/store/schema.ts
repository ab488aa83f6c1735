// Versioned migrations of the results cache. `PRAGMA user_version` holds the number of migrations
// applied; each migration runs in its own transaction, so a crash mid-upgrade leaves the previous
// version intact. Never edit a shipped migration: append a new one.

export const MIGRATIONS: readonly string[] = [
  // 1: runs, per-checkpoint units of work, scalar and array results.
  `
  CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,          -- demo | hf-cache | opened
    root        TEXT NOT NULL,
    info_json   TEXT NOT NULL,          -- RunInfo (common/domain.ts) as last scanned
    updated_at  INTEGER NOT NULL
  );

  -- One row per finished (run, checkpoint, analysis): written in the same transaction as the
  -- results, so its presence means the results are complete. fingerprint + version + ctx decide
  -- whether a rerun may reuse them.
  CREATE TABLE units (
    run_id        TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    analysis      TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    version       INTEGER NOT NULL,
    ctx           TEXT NOT NULL,        -- what else the results depend on (init/prev checkpoint, bins, probe)
    info_json     TEXT NOT NULL,        -- provider, warnings, non-finite counts, timings
    finished_at   INTEGER NOT NULL,
    PRIMARY KEY (run_id, checkpoint_id, analysis)
  ) WITHOUT ROWID;

  CREATE TABLE tensors (
    run_id     TEXT NOT NULL,
    tensor     TEXT NOT NULL,
    component  TEXT NOT NULL,
    block      TEXT,                    -- JSON: number or "embed" | "final" | "unembed"; NULL if none
    kind       TEXT NOT NULL,
    shape_json TEXT,
    ord        INTEGER NOT NULL,
    PRIMARY KEY (run_id, tensor)
  ) WITHOUT ROWID;

  CREATE TABLE scalars (
    run_id        TEXT NOT NULL,
    metric        TEXT NOT NULL,
    tensor        TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    analysis      TEXT NOT NULL,
    value         REAL,                 -- NULL: undefined (e.g. kurtosis of a constant tensor)
    PRIMARY KEY (run_id, metric, tensor, checkpoint_id)
  ) WITHOUT ROWID;
  CREATE INDEX scalars_by_unit ON scalars (run_id, checkpoint_id, analysis);

  CREATE TABLE arrays (
    run_id        TEXT NOT NULL,
    kind          TEXT NOT NULL,        -- histogram | qq | spectrum | embedding_correlation | ...
    tensor        TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    analysis      TEXT NOT NULL,
    data          TEXT NOT NULL,        -- JSON frame
    PRIMARY KEY (run_id, kind, tensor, checkpoint_id)
  ) WITHOUT ROWID;
  CREATE INDEX arrays_by_unit ON arrays (run_id, checkpoint_id, analysis);

  -- Run-wide parameters derived from all checkpoints (e.g. histogram edges per tensor).
  CREATE TABLE run_params (
    run_id TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;

  CREATE TABLE recent_paths (
    path      TEXT PRIMARY KEY,
    opened_at INTEGER NOT NULL
  );
  `,
  // 2: this machine's measured rates and memory factors for the sweep estimate (main/jobs/estimate.ts).
  `
  CREATE TABLE calibration (
    key        TEXT PRIMARY KEY,        -- machine key : unit
    value      TEXT NOT NULL,           -- JSON {rate, memoryFactor, measuredAt, units}
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 3: the run library (issue 15 #7): a user's name for a run (alias; NULL = the scanned name), and
  // runs removed from the library, so that the demo and Hugging Face cache discovery do not list
  // them again (opening the folder explicitly brings a run back). Removing never touches files.
  `
  ALTER TABLE runs ADD COLUMN alias TEXT;
  CREATE TABLE removed_runs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    root       TEXT NOT NULL,
    removed_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];
