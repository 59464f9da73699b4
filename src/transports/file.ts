import { createReadStream, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CalltrailError } from '../core/errors.js';
import { createFramer, DEFAULT_MAX_RECORD_BYTES, type FramedRecord, type Framing } from '../framing/framer.js';

// Reads records from a file. `follow` keeps reading what is appended (a first file tail; the VoIP
// issue adds rotation and restart offsets).

export type RecordSink = (record: FramedRecord) => Promise<void> | undefined;

export interface FileReadOptions {
  framing: Framing;
  maxRecordBytes?: number;
  /** Called with the bytes read so far. */
  onProgress?: (bytes: number) => void;
  /** Keep reading appended data until the signal aborts. */
  follow?: { signal: AbortSignal; pollMs?: number };
}

export function fileSize(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new CalltrailError('FILE_UNREADABLE', `${path}: not a regular file`);
    return st.size;
  } catch (err) {
    if (err instanceof CalltrailError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CalltrailError('FILE_NOT_FOUND', `${path}: no such file`);
    throw new CalltrailError('FILE_UNREADABLE', `${path}: ${(err as Error).message}`);
  }
}

/** Frames the file's records and hands each to the sink, awaiting it when it asks to wait. */
export async function readFileRecords(path: string, sink: RecordSink, options: FileReadOptions): Promise<{ bytes: number; records: number }> {
  fileSize(path); // clear errors before streaming
  const framer = createFramer(options.framing, options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
  let bytes = 0;
  let records = 0;
  const deliver = async (framed: FramedRecord[]): Promise<void> => {
    for (const r of framed) {
      records++;
      const wait = sink(r);
      if (wait) await wait;
    }
  };
  const readFrom = async (start: number): Promise<void> => {
    const stream = createReadStream(path, { encoding: 'utf8', start, highWaterMark: 256 * 1024 });
    let sinkFailure = null as { error: unknown } | null;
    try {
      for await (const chunk of stream as AsyncIterable<string>) {
        bytes += Buffer.byteLength(chunk, 'utf8');
        try {
          await deliver(framer.push(chunk));
        } catch (error) {
          sinkFailure = { error }; // not the file's fault: passed on as it is
          throw error;
        }
        options.onProgress?.(bytes);
      }
    } catch (err) {
      if (sinkFailure) throw sinkFailure.error;
      throw new CalltrailError('FILE_UNREADABLE', `${path}: ${(err as Error).message}`);
    }
  };
  await readFrom(0);
  if (options.follow) {
    const { signal, pollMs = 1000 } = options.follow;
    let offset = fileSize(path);
    while (!signal.aborted) {
      await sleep(pollMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      const size = fileSize(path);
      if (size > offset) {
        await readFrom(offset);
        offset = size;
      } else if (size < offset) {
        offset = 0; // truncated or replaced: start again (dedupe keeps calls single)
      }
    }
  }
  await deliver(framer.end());
  return { bytes, records };
}
