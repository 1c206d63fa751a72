// Bench runners write their own tables into the docs: a section between
//   <!-- bench:NAME:begin --> and <!-- bench:NAME:end -->
// is replaced by the runner's markdown, so the figures in docs/ are always the last run's, never
// copied by hand.

import fs from 'node:fs';

export function writeDocsSection(file: string, name: string, markdown: string): boolean {
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return false;
  const next = `${text.slice(0, i + begin.length)}\n${markdown.trim()}\n${text.slice(j)}`;
  fs.writeFileSync(file, next);
  return true;
}

/** A markdown table from a header row and rows of cells. */
export function mdTable(header: string[], rows: Array<Array<string | number>>, align?: Array<'l' | 'r'>): string {
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [header, sep, ...rows.map((r) => r.map(String))].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** One line that says where and when a bench ran: the machine, its load, the kernel. */
export function systemLine(): string {
  const os = process.platform === 'linux' ? fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() : process.platform;
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const cpus = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  return `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Linux ${os}, ${cpus} CPUs, load ${load}, Node ${process.version}`;
}
