package jobs

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"

	"userimport/importer"
)

// ChunkArgs is the job of one chunk of a batch's staged rows.
type ChunkArgs struct {
	BatchID string `json:"batch"`
	Rows    []int  `json:"rows"`
}

// Kind names the job kind in river_job.
func (ChunkArgs) Kind() string { return "userimport.chunk" }

// ChunkTimeout bounds one chunk job: a chunk is a few rows, each one
// argon2id hash (tens of milliseconds); a job this late belongs to a
// process that hangs, and its rows are retried elsewhere.
const ChunkTimeout = DefaultJobTimeout

// chunkWorker works chunk jobs through importer.WorkChunk.
type chunkWorker struct {
	river.WorkerDefaults[ChunkArgs]
	dir    importer.ChunkDirectory
	hasher importer.Hasher
	sealer importer.Sealer
	done   func([]importer.Result) // nil, or told the rows each job wrote (metrics)
}

func (w *chunkWorker) Timeout(*river.Job[ChunkArgs]) time.Duration { return ChunkTimeout }

func (w *chunkWorker) Work(ctx context.Context, job *river.Job[ChunkArgs]) error {
	results, err := importer.WorkChunk(ctx, w.dir, w.hasher, w.sealer, job.Args.BatchID, job.Args.Rows)
	if err == nil && w.done != nil {
		w.done(results)
	}
	return err
}

// AddChunkWorker makes the engine's process work the chunks of every
// batch on dir, hashing through the process's one hasher; done, when not
// nil, is told the results of the rows each chunk wrote.
func AddChunkWorker(workers *river.Workers, dir importer.ChunkDirectory, hasher importer.Hasher, sealer importer.Sealer,
	done func([]importer.Result)) error {
	return river.AddWorkerSafely(workers, &chunkWorker{dir: dir, hasher: hasher, sealer: sealer, done: done})
}

// EnqueueChunks inserts the jobs of a batch's chunks in tx (sqldb's
// ChunkQueue): they exist exactly when the rows they write are staged.
func (e *Engine) EnqueueChunks(ctx context.Context, tx *sql.Tx, batchID string, chunks [][]int) error {
	args := make([]river.JobArgs, len(chunks))
	for i, rows := range chunks {
		args[i] = ChunkArgs{BatchID: batchID, Rows: rows}
	}
	_, err := e.InsertManyTx(ctx, tx, args)
	return err
}
