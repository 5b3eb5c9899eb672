export { REPORT_FILE, writeRunReport } from './write.ts';
export { formatTable, summaryTable } from './table.ts';
