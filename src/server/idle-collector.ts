// Collects the control plane's garbage in the quiet after a burst of client
// requests. A thousand submits leave megabytes behind (decoded requests,
// encoded definitions and answers); left to V8, the major collection they
// call for starts whenever the heap next grows, which is while the burst's
// tasks run, and takes tens of milliseconds from the thread that counts their
// ends. Collected once the clients fall silent, it costs the same and delays
// nothing. A server asked now and then (a job list a second) collects rarely:
// only after `minRequests` requests.
import { collectGarbage } from '../common/collect-garbage.js';

export interface IdleCollectorOptions {
  /** Silence after the last request before collecting. */
  quietMs: number;
  /** Requests since the last collection needed for another. */
  minRequests: number;
  /** Performs the collection (a full one of the calling thread by default). */
  collect?: () => void;
}

const DEFAULT_IDLE_COLLECTOR: IdleCollectorOptions = { quietMs: 30, minRequests: 200 };

export class IdleCollector {
  private requests = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly collect: () => void;

  constructor(private readonly options: IdleCollectorOptions = DEFAULT_IDLE_COLLECTOR) {
    this.collect = options.collect ?? collectGarbage;
  }

  /** A client request arrived: the quiet starts again. */
  noteRequest(): void {
    this.requests++;
    if (this.requests < this.options.minRequests) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.options.quietMs);
    // Never what keeps a stopping server alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private fire(): void {
    this.timer = null;
    this.requests = 0;
    this.collect();
  }
}
