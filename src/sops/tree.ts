// Walks parsed YAML documents in the order sops's Go tree walk visits them (sops.go walkBranch /
// walkSlice over the tree built by stores/yaml), reporting each leaf and each comment with its key
// path and the comment stack that the comment-regex rules look at. Pure: no crypto here.
import { type Document, isAlias, isMap, isScalar, isSeq, type Node, type Pair, Scalar, type YAMLMap, type YAMLSeq } from "yaml";
import { type FileFormat, typeScalar } from "./goyaml.js";

export interface LeafItem {
  kind: "leaf";
  node: Scalar;
  /** Mapping keys from the document root; list indexes are not part of it (sops's AAD rule). */
  path: string[];
  stack: string[][];
  /** Set when the leaf is a list element, so a decrypted `type:comment` element can be turned back into a comment. */
  inSeq?: YAMLSeq;
}

export interface CommentItem {
  kind: "comment";
  text: string;
  path: string[];
  stack: string[][];
  /** Paths of the enclosing branches, innermost first: where yaml.v3 may have attached the comment. */
  candidatePaths: string[][];
  replace(text: string): void;
}

export type WalkItem = LeafItem | CommentItem;

export class TreeShapeError extends Error {}

interface CommentHolder {
  commentBefore?: string | null;
  comment?: string | null;
}

type Visit = (item: WalkItem) => void;

export interface WalkOptions {
  /** Called for a non-null scalar that sops holds as null (a tagged scalar yaml.v3 cannot decode). */
  onNull?: (node: Scalar) => void;
}

class Walker {
  constructor(
    private readonly visit: Visit,
    private readonly format: FileFormat,
    private readonly options: WalkOptions = {},
  ) {}

  /** Comment lines held in one property of a node, each reported as its own comment item. */
  comments(
    holder: CommentHolder | null | undefined,
    prop: "commentBefore" | "comment",
    path: string[],
    stack: string[][],
    ancestors: string[][],
  ): void {
    const raw = holder?.[prop];
    if (!holder || typeof raw !== "string" || raw === "") return;
    const lines = raw.split("\n");
    lines.forEach((line, index) => {
      if (line === "") return;
      const top = stack[stack.length - 1];
      top?.push(line);
      this.visit({
        kind: "comment",
        text: line,
        path,
        stack,
        candidatePaths: [path, ...ancestors],
        replace(text: string) {
          const current = (holder[prop] ?? "").split("\n");
          current[index] = text;
          holder[prop] = current.join("\n");
          // The comment stack keeps the text as it was walked, like sops (it copies the value).
        },
      });
    });
  }

  mapping(map: YAMLMap, path: string[], stack: string[][], ancestors: string[][], doc?: CommentHolder): void {
    const level: string[] = [];
    const inner = [...stack, level];
    if (doc) this.comments(doc, "commentBefore", path, inner, ancestors);
    this.comments(map as CommentHolder, "commentBefore", path, inner, ancestors);
    for (const pair of map.items as Pair<unknown, unknown>[]) {
      const key = this.keyOf(pair.key);
      this.comments(pair.key as CommentHolder, "commentBefore", path, inner, ancestors);
      const value = pair.value as Node | null;
      if (isAlias(value) || isAlias(pair.key)) throw new TreeShapeError(`YAML aliases are not supported (at key '${key}')`);
      const scalarValue = value === null || value === undefined || isScalar(value);
      if (scalarValue && value) {
        this.comments(value as CommentHolder, "commentBefore", path, inner, ancestors);
        this.comments(value as CommentHolder, "comment", path, inner, ancestors);
      }
      // A leaf has no comments of its own to place: only a collection needs its ancestors' paths.
      this.value(value, [...path, key], inner, scalarValue ? ancestors : [path, ...ancestors]);
      level.length = 0;
      if (!scalarValue) this.comments(value as CommentHolder, "comment", path, inner, ancestors);
    }
    this.comments(map as CommentHolder, "comment", path, inner, ancestors);
    if (doc) this.comments(doc, "comment", path, inner, ancestors);
  }

  sequence(seq: YAMLSeq, path: string[], stack: string[][], ancestors: string[][]): void {
    const level: string[] = [];
    const inner = [...stack, level];
    this.comments(seq as CommentHolder, "commentBefore", path, inner, ancestors);
    for (const item of seq.items as (Node | null)[]) {
      if (isAlias(item)) throw new TreeShapeError("YAML aliases are not supported");
      const scalarItem = item === null || isScalar(item);
      // A collection item reports its own leading comments when it is walked.
      if (scalarItem && item) {
        this.comments(item as CommentHolder, "commentBefore", path, inner, ancestors);
        this.comments(item as CommentHolder, "comment", path, inner, ancestors);
      }
      this.value(item, path, inner, ancestors, seq);
      level.length = 0;
      if (!scalarItem) this.comments(item as CommentHolder, "comment", path, inner, ancestors);
    }
    this.comments(seq as CommentHolder, "comment", path, inner, ancestors);
  }

  value(node: Node | null | undefined, path: string[], stack: string[][], ancestors: string[][], inSeq?: YAMLSeq): void {
    if (node === null || node === undefined) return;
    if (isMap(node)) {
      this.mapping(node, path, stack, ancestors);
      return;
    }
    if (isSeq(node)) {
      this.sequence(node, path, [...stack], ancestors);
      return;
    }
    if (isScalar(node)) {
      if (node.value === null) return; // nulls are neither encrypted nor hashed
      if (typeScalar(node, this.format) === null) {
        this.options.onNull?.(node);
        return;
      }
      const item: LeafItem = { kind: "leaf", node, path, stack };
      if (inSeq) item.inSeq = inSeq;
      this.visit(item);
      return;
    }
    throw new TreeShapeError("unsupported YAML node");
  }

  /**
   * An untagged key's text typed once per spelling (plain or quoted): what yaml.v3 makes of it depends
   * on nothing else, and a manifest repeats a few keys (value, tags, user, ...) thousands of times.
   */
  private readonly keyTexts = { plain: new Map<string, string>(), quoted: new Map<string, string>() };

  keyOf(key: unknown): string {
    if (typeof key === "string") return key; // pairs created in code (doc.setIn) may hold plain keys
    if (isScalar(key)) {
      if (this.format === "json") return String(key.value);
      const source = key.tag === undefined && typeof key.source === "string" ? key.source : undefined;
      const known =
        source === undefined
          ? undefined
          : key.type === undefined || key.type === Scalar.PLAIN
            ? this.keyTexts.plain
            : this.keyTexts.quoted;
      const cached = source === undefined ? undefined : known?.get(source);
      if (cached !== undefined) return cached;
      const typed = typeScalar(key, "yaml");
      if (typed?.type === "str") {
        if (source !== undefined) known?.set(source, typed.value);
        return typed.value;
      }
      throw new TreeShapeError(`mapping key '${String(key.value)}' is not a string; sops supports only string keys (quote it)`);
    }
    throw new TreeShapeError("complex mapping keys are not supported");
  }
}

/** Visits one document in sops's walk order. The top-level `sops` key must already be removed. */
export function walkDocument(doc: Document, format: FileFormat, visit: Visit, options?: WalkOptions): void {
  const walker = new Walker(visit, format, options);
  const root = doc.contents as Node | null;
  const stack: string[][] = [[]];
  walker.comments(doc as unknown as CommentHolder, "commentBefore", [], stack, []);
  if (root === null || (isScalar(root) && root.value === null)) {
    walker.comments(doc as unknown as CommentHolder, "comment", [], stack, []);
    return;
  }
  if (!isMap(root)) throw new TreeShapeError("a sops YAML document must be a mapping at the top level");
  walker.mapping(root, [], [], [], doc as unknown as CommentHolder);
}

export { Scalar };
