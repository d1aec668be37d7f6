import type { CallToolResult } from '@modelcontextprotocol/client';
import type { BackendStatus } from '../aggregate/index.js';

/** Left-aligned columns, two spaces apart; the last column is never padded. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

export function stateLabel(status: BackendStatus | undefined): string {
  if (!status) return 'unknown';
  if (status.state === 'open') return 'down (circuit open)';
  return status.state;
}

/** What a person wants from a tool result: its text, or the structured content when there is no text. */
export function resultText(result: CallToolResult): string {
  const parts = result.content.map((block) => {
    switch (block.type) {
      case 'text':
        return block.text;
      case 'resource':
        return 'text' in block.resource ? block.resource.text : `[resource ${block.resource.uri}]`;
      case 'resource_link':
        return `[resource ${block.uri}]`;
      default:
        return `[${block.type} content]`;
    }
  });
  if (parts.length === 0 && result.structuredContent) return JSON.stringify(result.structuredContent, null, 2);
  return parts.join('\n');
}
