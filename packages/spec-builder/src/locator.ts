import { isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Position } from './read-yaml';
import type { PathSegment } from './suggest-key';

/**
 * Finds the YAML node for a field path and turns its offset into line /
 * column. Each mapping is indexed once, on first use, so locating every one of
 * n unknown keys costs O(n) in total rather than O(n²).
 */
export class Locator {
  private readonly indexes = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    private readonly document: Document,
    private readonly at: (offset: number) => Position,
  ) {}

  /**
   * Position of the value at `path` (mode `value`) or of its key (mode `key`).
   * When the path does not exist (a missing key), the deepest existing
   * ancestor's key is used, so the user is pointed at the mapping that lacks it.
   */
  locate(path: readonly PathSegment[], mode: 'key' | 'value'): Position {
    let node: unknown = this.document.contents;
    let lastKey: Node | undefined;
    let lastValue: unknown = node;
    for (const segment of path) {
      let next: { key?: Node; value: unknown } | undefined;
      if (isMap(node)) {
        const pair = this.index(node).get(String(segment));
        if (pair !== undefined) next = { key: (pair.key as Node | null) ?? undefined, value: pair.value };
      } else if (isSeq(node) && typeof segment === 'number') {
        const item: unknown = node.items[segment];
        if (item !== undefined) next = { value: item };
      }
      if (next === undefined) {
        return this.position(lastKey ?? (lastValue as Node | undefined));
      }
      if (next.key !== undefined) lastKey = next.key;
      else lastKey = next.value as Node | undefined;
      lastValue = next.value;
      node = next.value;
    }
    if (mode === 'key') return this.position(lastKey ?? (lastValue as Node | undefined));
    return this.position((lastValue as Node | null) ?? lastKey);
  }

  /** Pairs of `map` by key text; the first of equal keys wins. */
  private index(map: YAMLMap): Map<string, Pair> {
    let index = this.indexes.get(map);
    if (index === undefined) {
      index = new Map();
      for (const item of map.items) {
        if (!isPair(item)) continue;
        const keyNode = item.key as Node | null;
        const keyValue: unknown = isScalar(keyNode) ? keyNode.value : undefined;
        if (typeof keyValue !== 'string' && typeof keyValue !== 'number') continue;
        if (!index.has(String(keyValue))) index.set(String(keyValue), item);
      }
      this.indexes.set(map, index);
    }
    return index;
  }

  private position(node: Node | null | undefined): Position {
    const offset = node?.range?.[0];
    return offset === undefined ? { line: 1, column: 1 } : this.at(offset);
  }
}
