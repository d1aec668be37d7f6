import { Document, isMap, isScalar, type Pair } from 'yaml';

/** A comment above one entry of a document, addressed by the keys leading to it. */
export interface YamlComment {
  path: readonly string[];
  text: string;
}

/** A document built as data, with the comments a reader of the generated file needs. */
export interface YamlFile {
  /** Comment lines at the top of the file. */
  header?: string;
  comments?: readonly YamlComment[];
  document: unknown;
}

function pairAt(doc: Document, path: readonly string[]): Pair | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const key = path[path.length - 1];
  return parent.items.find((item) => isScalar(item.key) && item.key.value === key);
}

/** Serialises a document with the `yaml` package; every comment must land on an entry that exists. */
export function toYaml({ header, comments = [], document }: YamlFile): string {
  const doc = new Document(document);
  if (header)
    doc.commentBefore = header
      .split('\n')
      .map((line) => ` ${line}`.trimEnd())
      .join('\n');
  for (const { path, text } of comments) {
    const pair = pairAt(doc, path);
    if (!pair || !isScalar(pair.key))
      throw new Error(`a comment addresses ${path.join('.')}, which the document does not have`);
    pair.key.commentBefore = text
      .split('\n')
      .map((line) => ` ${line}`.trimEnd())
      .join('\n');
  }
  return doc.toString({ lineWidth: 0 });
}
