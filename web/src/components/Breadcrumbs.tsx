// Where you are in a folder tree; every crumb but the last is a button back to that folder.
export interface Crumb {
  id: number;
  name: string;
}

export function Breadcrumbs({ trail, onOpen }: { trail: Crumb[]; onOpen: (id: number) => void }) {
  return (
    <nav aria-label="Folder path" class="breadcrumbs">
      <ol>
        {trail.map((c, i) => (
          <li key={c.id}>
            {i < trail.length - 1 ? (
              <button type="button" class="link-button" onClick={() => onOpen(c.id)}>
                {c.name}
              </button>
            ) : (
              <span aria-current="page">{c.name}</span>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}
