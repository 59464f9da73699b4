import { EventEmitter } from 'node:events';
import type { Call } from '../core/call.js';

export interface StoredCallEvent {
  id: string;
  switchName: string;
  tenantId: string;
  call: Call;
}

/** The in-process live feed: every call, once it is committed. */
export class CallBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(calls: StoredCallEvent[]): void {
    if (calls.length > 0) this.emitter.emit('calls', calls);
  }

  subscribe(listener: (calls: StoredCallEvent[]) => void): () => void {
    this.emitter.on('calls', listener);
    return () => this.emitter.off('calls', listener);
  }
}
