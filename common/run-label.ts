// The name a run goes by everywhere it is shown (the app's views, exported figures and file names):
// the user's alias (renameRun, main/store/schema.ts migration 3), else the scanned folder name. One
// function, so that a renamed run is not called by its old name in an export.

/** The user's alias, else the scanned name. */
export function runLabel(r: { name: string; alias?: string | null }): string {
  return r.alias ?? r.name;
}
