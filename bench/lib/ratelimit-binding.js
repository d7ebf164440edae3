/**
 * The Rate Limiting binding (`[[ratelimits]]` in wrangler.toml) for the benchmarks' bare workerd:
 * a wrapped binding with the same `limit({ key })` → `{ success }` as Cloudflare's, counting in
 * memory per fixed window of `period` seconds, as Cloudflare counts locally per location.
 */
const windows = new Map();

export default function makeBinding({ name, limit, period }) {
  return {
    async limit({ key = "" } = {}) {
      const epoch = Math.floor(Date.now() / (period * 1000));
      let w = windows.get(name);
      if (!w || w.epoch !== epoch) windows.set(name, (w = { epoch, counts: new Map() }));
      const used = w.counts.get(key) ?? 0;
      if (used >= limit) return { success: false };
      w.counts.set(key, used + 1);
      return { success: true };
    },
  };
}
