/**
 * Wraps a task (a sync to disk, say) so that whoever calls it gets a run that started after the
 * call, and calls made while a run is under way share the one run queued after it: at most one
 * runs and one waits, however many callers there are.
 */
export function nextRun(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const start = (): Promise<void> => {
    queued = null;
    const run = task().finally(() => {
      if (running === run) running = null;
    });
    running = run;
    return run;
  };
  return () => {
    if (queued) return queued;
    if (!running) return start();
    queued = running.then(start, start);
    return queued;
  };
}
