/** What every report section shares: number formatting, Markdown tables, pending charts and their links. */
import path from 'node:path';
import type { Claim } from '../ablation/verdicts.js';

export const f2 = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

export function mdTable(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${header.map(esc).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** A chart rendered in memory, written with the report (after all reading). */
export interface PendingChart {
  file: string;
  title: string;
  png: Buffer;
}

export const chartLink = (c: PendingChart): string => `![${c.title}](charts/${path.basename(c.file)})`;

export async function renderChart(chartsDir: string, name: string, title: string, render: () => Promise<Buffer>): Promise<PendingChart> {
  return { file: path.join(chartsDir, name), title, png: await render() };
}

/** What a report section gives: its Markdown lines, its charts and the paper's claims it judged. */
export interface Section {
  markdown: string[];
  charts: PendingChart[];
  claims: Claim[];
}
