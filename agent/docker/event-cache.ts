// Docker state read through the API and kept until Docker's events say it changed (kubelet's PLEG
// cache role): container inspections by id, container lists by pod uid. A read begun before a
// change of its key is not kept, and nothing is kept while the event stream is not followed,
// except values that cannot change (`lasting`: an exited container).
export class EventCache<V> {
  private readonly values = new Map<string, V>();
  private readonly changes = new Map<string, number>();
  private following = false;

  constructor(private readonly lasting: (value: V) => boolean = () => false) {}

  get(key: string): V | undefined {
    return this.values.get(key);
  }

  /** The cached value, else load()'s, kept when nothing changed while it loaded. */
  async read(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const cached = this.values.get(key);
    if (cached !== undefined) return cached;
    const changes = this.changes.get(key) ?? 0;
    const following = this.following;
    const value = await load();
    if (value === undefined) return undefined;
    const unchanged = following && this.following && (this.changes.get(key) ?? 0) === changes;
    if (unchanged || this.lasting(value)) this.values.set(key, value);
    return value;
  }

  /** An event, or Skiff's own act, changed the key. */
  changed(key: string): void {
    this.values.delete(key);
    this.changes.set(key, (this.changes.get(key) ?? 0) + 1);
  }

  /** The key is gone for good. */
  forget(key: string): void {
    this.values.delete(key);
    this.changes.delete(key);
  }

  entries(): IterableIterator<[string, V]> {
    return this.values.entries();
  }

  /** Events are heard from now on. */
  follow(): void {
    this.following = true;
  }

  /** Events may be missed from here on: forget what only they would have invalidated. */
  stopFollowing(): void {
    this.following = false;
    for (const [key, value] of this.values) if (!this.lasting(value)) this.values.delete(key);
  }
}
