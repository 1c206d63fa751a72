// Median and range of a set of timings, and how bench:security prints them.

export interface Stats {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function timeStats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, median, min: s[0], max: s[s.length - 1] };
}

const f = (x: number) => (Math.abs(x) < 1 ? x.toFixed(3) : Math.abs(x) < 100 ? x.toFixed(2) : x.toFixed(1));

/** "12.3 ms (10.1-15.0)" */
export const showStats = (s: Stats) => `${f(s.median)} ms (${f(s.min)}-${f(s.max)})`;
export const ms = (x: number) => f(x);
