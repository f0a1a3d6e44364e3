// How the file list is ordered: folders always before files, then by the chosen column, with the
// name (natural order, case-insensitive) breaking ties. Pure, unit-tested (sort.test.ts).
export type SortKey = 'name' | 'modified' | 'size';
export type SortDir = 'ascending' | 'descending';
export interface Sort {
  key: SortKey;
  dir: SortDir;
}

interface Sortable {
  name: string;
  kind: 'file' | 'folder';
  size: number;
  modified_at: string;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function sortItems<T extends Sortable>(items: readonly T[], sort: Sort): T[] {
  const sign = sort.dir === 'ascending' ? 1 : -1;
  return [...items].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'folder' ? -1 : 1;
    let c = 0;
    if (sort.key === 'size') c = a.size - b.size;
    else if (sort.key === 'modified') c = Date.parse(a.modified_at) - Date.parse(b.modified_at);
    if (c === 0) c = collator.compare(a.name, b.name);
    return sign * c;
  });
}

// Clicking a column: the same column flips; a new one starts ascending for names and descending
// (newest, largest first) for dates and sizes.
export function nextSort(current: Sort, key: SortKey): Sort {
  if (current.key === key) return { key, dir: current.dir === 'ascending' ? 'descending' : 'ascending' };
  return { key, dir: key === 'name' ? 'ascending' : 'descending' };
}
