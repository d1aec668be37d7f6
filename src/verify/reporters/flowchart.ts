/**
 * The project's Mermaid flowchart (the one its README carries) as a graph, and that graph drawn
 * as inline SVG: a report that loads no script can still show the topology. Reads the subset of
 * flowchart syntax the pattern definitions write: `id["label"]` and `id[("label")]` nodes,
 * `-->` and `-.->` edges with optional `|"label"|`, `a & b` on either side, chains, and
 * one level of `subgraph id["label"] ... end`.
 */

export interface FlowNode {
  id: string;
  label: string;
  shape: 'box' | 'store';
  /** The subgraph it is drawn in, if any. */
  parent?: string;
}

export interface FlowEdge {
  from: string;
  to: string;
  label?: string;
  dotted: boolean;
}

export interface FlowSubgraph {
  id: string;
  label: string;
  /** Node ids inside, in the order they first appear. */
  children: string[];
}

export interface Flowchart {
  nodes: FlowNode[];
  edges: FlowEdge[];
  subgraphs: FlowSubgraph[];
}

const ID = /^[A-Za-z_][\w-]*/;
const ARROW = /^(-\.->|-->|==>|---)/;

/** Reads a Mermaid flowchart; lines it does not understand are left out rather than guessed at. */
export function parseFlowchart(source: string): Flowchart {
  const nodes = new Map<string, FlowNode>();
  const edges: FlowEdge[] = [];
  const subgraphs: FlowSubgraph[] = [];
  let open: FlowSubgraph | undefined;

  const declare = (id: string, label?: string, shape?: FlowNode['shape']) => {
    if (subgraphs.some((subgraph) => subgraph.id === id)) return;
    const known = nodes.get(id);
    if (known) {
      if (label !== undefined) Object.assign(known, { label, shape: shape ?? known.shape });
      return;
    }
    const node: FlowNode = { id, label: label ?? id, shape: shape ?? 'box', ...(open ? { parent: open.id } : {}) };
    nodes.set(id, node);
    open?.children.push(id);
  };

  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^(flowchart|graph)\b/.test(line) || /^direction\b/.test(line) || line.startsWith('%%'))
      continue;
    const subgraph = /^subgraph\s+([A-Za-z_][\w-]*)\s*(?:\[\s*"?(.*?)"?\s*\])?\s*$/.exec(line);
    if (subgraph) {
      const id = subgraph[1] as string;
      nodes.delete(id);
      open = { id, label: subgraph[2] ?? id, children: [] };
      subgraphs.push(open);
      continue;
    }
    if (line === 'end') {
      open = undefined;
      continue;
    }
    const statement = readStatement(line);
    if (!statement) continue;
    for (const group of statement.groups) for (const ref of group) declare(ref.id, ref.label, ref.shape);
    statement.arrows.forEach((arrow, index) => {
      for (const from of statement.groups[index] ?? [])
        for (const to of statement.groups[index + 1] ?? [])
          edges.push({
            from: from.id,
            to: to.id,
            dotted: arrow.dotted,
            ...(arrow.label ? { label: arrow.label } : {}),
          });
    });
  }
  return { nodes: [...nodes.values()], edges, subgraphs };
}

interface NodeRef {
  id: string;
  label?: string;
  shape?: FlowNode['shape'];
}

/** `a["A"] & b --> |"x"| c`: groups of node references separated by arrows. */
function readStatement(
  line: string,
): { groups: NodeRef[][]; arrows: { dotted: boolean; label?: string }[] } | undefined {
  const groups: NodeRef[][] = [];
  const arrows: { dotted: boolean; label?: string }[] = [];
  let rest = line;
  for (;;) {
    const group: NodeRef[] = [];
    for (;;) {
      const ref = readNode(rest);
      if (!ref) return undefined;
      group.push(ref.node);
      rest = ref.rest.trimStart();
      if (!rest.startsWith('&')) break;
      rest = rest.slice(1).trimStart();
    }
    groups.push(group);
    if (rest === '') break;
    const arrow = ARROW.exec(rest);
    if (!arrow) return undefined;
    rest = rest.slice(arrow[0].length).trimStart();
    let label: string | undefined;
    if (rest.startsWith('|')) {
      const quoted = /^\|\s*"([^"]*)"\s*\|/.exec(rest) ?? /^\|([^|]*)\|/.exec(rest);
      if (!quoted) return undefined;
      label = (quoted[1] as string).trim();
      rest = rest.slice(quoted[0].length).trimStart();
    }
    arrows.push({ dotted: (arrow[1] as string).includes('.'), ...(label ? { label } : {}) });
  }
  return groups.length > 0 ? { groups, arrows } : undefined;
}

function readNode(text: string): { node: NodeRef; rest: string } | undefined {
  const id = ID.exec(text)?.[0];
  if (!id) return undefined;
  const after = text.slice(id.length);
  const shapes: [RegExp, FlowNode['shape']][] = [
    [/^\[\(\s*"([^"]*)"\s*\)\]/, 'store'],
    [/^\[\(([^)\]]*)\)\]/, 'store'],
    [/^\[\s*"([^"]*)"\s*\]/, 'box'],
    [/^\[([^\]]*)\]/, 'box'],
    [/^\(\s*"([^"]*)"\s*\)/, 'box'],
    [/^\(([^)]*)\)/, 'box'],
  ];
  for (const [pattern, shape] of shapes) {
    const match = pattern.exec(after);
    if (match) return { node: { id, label: (match[1] as string).trim(), shape }, rest: after.slice(match[0].length) };
  }
  return { node: { id }, rest: after };
}

// Layout: columns from left to right (the chart's LR direction), a subgraph as one tall unit.
const NODE_WIDTH = 190;
const LINE = 15;
const PAD = 10;
const CHARS_PER_LINE = 26;
const LABEL_CHARS = 28;
const CHAR_WIDTH = 6.4;
const ROW_GAP = 34;
const INNER_GAP = 26;
const MARGIN = 16;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Words wrapped to lines of at most `width` characters (a longer word keeps its own line). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines.length > 0 ? lines : [''];
}

/** Draws the chart as a self-contained `<svg>`; every text goes through `escape`. */
export function flowchartSvg(chart: Flowchart, escape: (text: string) => string, title: string): string {
  const subgraphOf = new Map(chart.subgraphs.map((subgraph) => [subgraph.id, subgraph]));
  const nodeOf = new Map(chart.nodes.map((node) => [node.id, node]));
  const unitOf = (id: string) => nodeOf.get(id)?.parent ?? id;
  const units = [
    ...new Set([...chart.nodes.map((node) => unitOf(node.id)), ...chart.subgraphs.map((subgraph) => subgraph.id)]),
  ];
  const links = chart.edges
    .map((edge) => ({ from: unitOf(edge.from), to: unitOf(edge.to) }))
    .filter((link) => link.from !== link.to && units.includes(link.from) && units.includes(link.to));

  // Rank: the longest path from a source (edges closing a cycle are ignored), then every source
  // moves right up to just before the first unit it points at.
  const rank = new Map<string, number>();
  const visiting = new Set<string>();
  const rankOf = (unit: string): number => {
    const known = rank.get(unit);
    if (known !== undefined) return known;
    if (visiting.has(unit)) return 0;
    visiting.add(unit);
    const before = links.filter((link) => link.to === unit).map((link) => rankOf(link.from) + 1);
    visiting.delete(unit);
    const value = Math.max(0, ...before);
    rank.set(unit, value);
    return value;
  };
  for (const unit of units) rankOf(unit);
  for (const unit of units) {
    if (links.some((link) => link.to === unit)) continue;
    const next = links.filter((link) => link.from === unit).map((link) => rank.get(link.to) ?? 0);
    if (next.length > 0) rank.set(unit, Math.max(rank.get(unit) ?? 0, Math.min(...next) - 1));
  }
  const columns: string[][] = [];
  for (const unit of units) (columns[rank.get(unit) ?? 0] ??= []).push(unit);
  const filled = columns.filter((column) => column && column.length > 0);
  // One pass of ordering by the highest unit that points in, to uncross the common cases.
  filled.forEach((column, index) => {
    if (index === 0) return;
    const previous = filled[index - 1] as string[];
    const weight = (unit: string) =>
      Math.min(
        Infinity,
        ...links
          .filter((link) => link.to === unit && previous.includes(link.from))
          .map((link) => previous.indexOf(link.from)),
      );
    const order = new Map(column.map((unit, at) => [unit, at]));
    column.sort((a, b) => weight(a) - weight(b) || (order.get(a) ?? 0) - (order.get(b) ?? 0));
  });

  const labelLines = (node: FlowNode) => wrap(node.label, CHARS_PER_LINE);
  const nodeHeight = (node: FlowNode) => labelLines(node).length * LINE + 2 * PAD + (node.shape === 'store' ? 10 : 0);
  const unitSize = (unit: string): { w: number; h: number } => {
    const subgraph = subgraphOf.get(unit);
    if (!subgraph) return { w: NODE_WIDTH, h: nodeHeight(nodeOf.get(unit) as FlowNode) };
    const inner = subgraph.children.map((id) => nodeHeight(nodeOf.get(id) as FlowNode));
    const titleHeight = wrap(subgraph.label, CHARS_PER_LINE + 4).length * LINE + PAD;
    return {
      w: NODE_WIDTH + 2 * PAD + 4,
      h: titleHeight + PAD + inner.reduce((a, b) => a + b, 0) + INNER_GAP * Math.max(0, inner.length - 1) + PAD,
    };
  };

  // The gap after a column is as wide as the widest edge label that starts in it.
  const columnOf = new Map<string, number>();
  filled.forEach((column, index) => column.forEach((unit) => columnOf.set(unit, index)));
  const edgeLabel = (edge: FlowEdge) => (edge.label ? wrap(edge.label, LABEL_CHARS) : []);
  const gaps = filled.map((_, index) =>
    Math.max(
      56,
      ...chart.edges
        .filter((edge) => columnOf.get(unitOf(edge.from)) === index && unitOf(edge.from) !== unitOf(edge.to))
        .map((edge) => Math.max(0, ...edgeLabel(edge).map((line) => line.length)) * CHAR_WIDTH + 28),
    ),
  );

  const boxes = new Map<string, Box>();
  const widths = filled.map((column) => Math.max(...column.map((unit) => unitSize(unit).w)));
  const heights = filled.map((column) =>
    column.reduce((sum, unit, at) => sum + unitSize(unit).h + (at > 0 ? ROW_GAP : 0), 0),
  );
  const height = Math.max(...heights, 40) + 2 * MARGIN;
  let x = MARGIN;
  filled.forEach((column, index) => {
    let y = MARGIN + (height - 2 * MARGIN - (heights[index] ?? 0)) / 2;
    for (const unit of column) {
      const size = unitSize(unit);
      const box = { x: x + ((widths[index] ?? 0) - size.w) / 2, y, ...size };
      boxes.set(unit, box);
      const subgraph = subgraphOf.get(unit);
      if (subgraph) {
        let inner = box.y + wrap(subgraph.label, CHARS_PER_LINE + 4).length * LINE + 2 * PAD;
        for (const id of subgraph.children) {
          const h = nodeHeight(nodeOf.get(id) as FlowNode);
          boxes.set(id, { x: box.x + PAD + 2, y: inner, w: NODE_WIDTH, h });
          inner += h + INNER_GAP;
        }
      }
      y += size.h + ROW_GAP;
    }
    x += (widths[index] ?? 0) + (index < filled.length - 1 ? (gaps[index] ?? 0) : 0);
  });
  const width = x + MARGIN;

  const text = (lines: string[], cx: number, top: number, cls: string) =>
    `<text class="${cls}" x="${round(cx)}" y="${round(top)}" text-anchor="middle">${lines
      .map((line, at) => `<tspan x="${round(cx)}" dy="${at === 0 ? '1em' : `${LINE}px`}">${escape(line)}</tspan>`)
      .join('')}</text>`;
  const out: string[] = [];
  /** Edge labels drawn so far, by centre. */
  const placed: Box[] = [];
  for (const subgraph of chart.subgraphs) {
    const box = boxes.get(subgraph.id);
    if (!box) continue;
    out.push(
      `<g class="fc-group"><rect x="${round(box.x)}" y="${round(box.y)}" width="${round(box.w)}" height="${round(box.h)}" rx="8"/>${text(wrap(subgraph.label, CHARS_PER_LINE + 4), box.x + box.w / 2, box.y + PAD / 2, 'fc-group-title')}</g>`,
    );
  }
  for (const edge of chart.edges) {
    const from = boxes.get(edge.from);
    const to = boxes.get(edge.to);
    if (!from || !to) continue;
    const inside = unitOf(edge.from) === unitOf(edge.to) && subgraphOf.has(unitOf(edge.from));
    let path: string;
    // Where the label goes: its centre, or (across columns) the end of the edge it hugs.
    let mid: { x: number; y: number; anchor?: 'start' | 'end' };
    if (inside) {
      const x1 = from.x + from.w / 2;
      const [y1, y2] = from.y < to.y ? [from.y + from.h, to.y] : [from.y, to.y + to.h];
      path = `M${round(x1)} ${round(y1)} L${round(x1)} ${round(y2)}`;
      mid = { x: x1, y: (y1 + y2) / 2 };
    } else {
      const forward = from.x <= to.x;
      const x1 = forward ? from.x + from.w : from.x;
      const x2 = forward ? to.x : to.x + to.w;
      const y1 = from.y + from.h / 2;
      const y2 = to.y + to.h / 2;
      const bend = (x2 - x1) / 2;
      path = `M${round(x1)} ${round(y1)} C${round(x1 + bend)} ${round(y1)} ${round(x2 - bend)} ${round(y2)} ${round(x2)} ${round(y2)}`;
      // Beside its source, unless the source fans out to several labelled edges: then beside the target.
      const fans = chart.edges.filter((other) => other.from === edge.from && other.label).length > 1;
      const at = fans ? x2 - 8 : x1 + 8;
      mid = {
        x: at,
        y: bezierYAt(at, [x1, y1], [x1 + bend, y1], [x2 - bend, y2], [x2, y2]),
        anchor: fans ? 'end' : 'start',
      };
    }
    out.push(`<path class="fc-edge${edge.dotted ? ' fc-dotted' : ''}" d="${path}" marker-end="url(#fc-arrow)"/>`);
    // `a & b -->|x| c` draws x once.
    const repeated = chart.edges.some((other) =>
      other === edge
        ? false
        : other.to === edge.to && other.label === edge.label && chart.edges.indexOf(other) < chart.edges.indexOf(edge),
    );
    const lines = repeated ? [] : edgeLabel(edge);
    if (lines.length > 0) {
      const w = Math.max(...lines.map((line) => line.length)) * CHAR_WIDTH + 8;
      const h = lines.length * LINE + 4;
      const cx = mid.anchor === 'start' ? mid.x + w / 2 : mid.anchor === 'end' ? mid.x - w / 2 : mid.x;
      let cy = mid.anchor ? mid.y - h / 2 - 2 : mid.y;
      // A label never covers another: it moves below the one it would overlap.
      for (let moved = true; moved;) {
        moved = false;
        for (const other of placed) {
          if (Math.abs(other.x - cx) * 2 < other.w + w && Math.abs(other.y - cy) * 2 < other.h + h) {
            cy = other.y + other.h / 2 + h / 2 + 1;
            moved = true;
          }
        }
      }
      placed.push({ x: cx, y: cy, w, h });
      out.push(
        `<g class="fc-edge-label"><rect x="${round(cx - w / 2)}" y="${round(cy - h / 2)}" width="${round(w)}" height="${round(h)}" rx="3"/>${text(lines, cx, cy - h / 2 + 1, '')}</g>`,
      );
    }
  }
  for (const node of chart.nodes) {
    const box = boxes.get(node.id);
    if (!box) continue;
    const shape =
      node.shape === 'store'
        ? `<path d="M${round(box.x)} ${round(box.y + 6)} a${round(box.w / 2)} 6 0 0 1 ${round(box.w)} 0 v${round(box.h - 12)} a${round(box.w / 2)} 6 0 0 1 ${round(-box.w)} 0 Z M${round(box.x)} ${round(box.y + 6)} a${round(box.w / 2)} 6 0 0 0 ${round(box.w)} 0"/>`
        : `<rect x="${round(box.x)}" y="${round(box.y)}" width="${round(box.w)}" height="${round(box.h)}" rx="5"/>`;
    out.push(
      `<g class="fc-node">${shape}${text(labelLines(node), box.x + box.w / 2, box.y + PAD + (node.shape === 'store' ? 8 : 0), '')}</g>`,
    );
  }
  // Labels may stand out of the columns (above the top row, beyond the last column): the picture grows to hold them.
  const top = Math.min(0, ...placed.map((label) => label.y - label.h / 2 - MARGIN / 2));
  const bottom = Math.max(height, ...placed.map((label) => label.y + label.h / 2 + MARGIN / 2));
  const right = Math.max(width, ...placed.map((label) => label.x + label.w / 2 + MARGIN / 2));
  return [
    `<svg class="flowchart" xmlns="http://www.w3.org/2000/svg" viewBox="0 ${round(top)} ${round(right)} ${round(bottom - top)}" width="${round(right)}" height="${round(bottom - top)}" role="img" aria-label="${escape(title)}">`,
    `<title>${escape(title)}</title>`,
    '<defs><marker id="fc-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z"/></marker></defs>',
    ...out,
    '</svg>',
  ].join('\n');
}

/** The y of a cubic Bézier whose x grows with t, where it crosses `x` (bisection). */
function bezierYAt(x: number, ...points: [number, number][]): number {
  const at = (t: number, axis: 0 | 1) => {
    const [p0, p1, p2, p3] = points.map((point) => point[axis]) as [number, number, number, number];
    const u = 1 - t;
    return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
  };
  let low = 0;
  let high = 1;
  for (let step = 0; step < 30; step++) {
    const t = (low + high) / 2;
    if (at(t, 0) < x) low = t;
    else high = t;
  }
  return at((low + high) / 2, 1);
}

function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}
