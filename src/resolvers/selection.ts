import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Names of the fields selected on the object reached by `path` from the current field (e.g.
 * `['nodes']` and `['edges', 'node']` for a connection), through fragments. Lets a list resolver
 * fetch only the columns a query asks for.
 */
export function selectedFields(info: GraphQLResolveInfo, paths: readonly (readonly string[])[]): Set<string> {
  const out = new Set<string>();
  const visit = (set: SelectionSetNode | undefined, path: readonly string[]) => {
    if (!set) return;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        if (path.length === 0) out.add(s.name.value);
        else if (s.name.value === path[0]) visit(s.selectionSet, path.slice(1));
      } else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet, path);
      else visit(info.fragments[s.name.value]?.selectionSet, path);
    }
  };
  for (const node of info.fieldNodes as readonly FieldNode[]) for (const path of paths) visit(node.selectionSet, path);
  return out;
}

/** The field nodes named `name` on the object reached by each of `paths` (through fragments). */
export function selectedFieldNodes(info: GraphQLResolveInfo, paths: readonly (readonly string[])[], name: string): FieldNode[] {
  const out: FieldNode[] = [];
  const visit = (set: SelectionSetNode | undefined, path: readonly string[]) => {
    if (!set) return;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        if (path.length === 0) {
          if (s.name.value === name) out.push(s);
        } else if (s.name.value === path[0]) visit(s.selectionSet, path.slice(1));
      } else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet, path);
      else visit(info.fragments[s.name.value]?.selectionSet, path);
    }
  };
  for (const node of info.fieldNodes as readonly FieldNode[]) for (const path of paths) visit(node.selectionSet, path);
  return out;
}
