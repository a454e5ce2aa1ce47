// Opens the catalog the configuration asks for: the directory catalog over `catalog.root` and/or
// `catalog.file`, or none.
import { Config } from '../config';
import { DirectoryCatalog } from './directory-catalog';

export async function openCatalog(c: Config['catalog']): Promise<DirectoryCatalog | null> {
  if (!c.root && !c.file) return null;
  return DirectoryCatalog.open({ root: c.root, file: c.file });
}
