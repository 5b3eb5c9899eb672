export { writeReports } from './write.ts';
export { formatTable, summaryTable } from './table.ts';
export { renderHtml } from './html.ts';
export { renderJunit } from './junit.ts';
export { renderMarkdown } from './markdown.ts';
export { latencyTable } from './latency.ts';
