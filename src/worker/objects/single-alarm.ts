/**
 * One alarm per object, kept at the time the object next has work.
 *
 * Remembers what is scheduled so the hot paths (a renewal pushes an expiry later, never
 * earlier) cost no storage call at all: the alarm is only written when the wanted time moves.
 * An alarm that fires before anything is due is harmless; the handler re-arms it.
 */
export class SingleAlarm {
  #scheduled: number | null = null;

  constructor(private readonly storage: DurableObjectStorage) {}

  async load(): Promise<void> {
    this.#scheduled = await this.storage.getAlarm();
  }

  /** The alarm has fired: the runtime has cleared it. */
  fired(): void {
    this.#scheduled = null;
  }

  async sync(wanted: number | null): Promise<void> {
    if (wanted === this.#scheduled) return;
    this.#scheduled = wanted;
    if (wanted === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(wanted);
  }

  /** Tries again later without losing anything, for a handler that keeps failing. */
  async retryIn(ms: number): Promise<void> {
    await this.sync(Date.now() + ms);
  }
}
