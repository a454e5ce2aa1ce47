// Opens the catalog the configuration asks for: the directory catalog over `catalog.root` and/or
// `catalog.file`, plus the file's table-format entries (Iceberg, Delta), and/or the AWS Glue Data
// Catalog (`catalog.glue`, asked last: directory and file tables win over Glue tables of the same name);
// or the Catalog Lambda function (`catalog.lambda`) alone.
import { resolve } from 'node:path';
import { Config } from '../config';
import { ConfigError } from '../errors';
import { Catalog } from './catalog';
import { readCatalogEntries } from './catalog-file';
import { DirectoryCatalog } from './directory-catalog';
import { FormatCatalog } from './format-catalog';
import { MultiCatalog } from './multi-catalog';
import { STORE_DEFAULTS, StoreConfig } from '../store/store-config';
import { openStores } from '../store/stores';

// Glue and the Lambda catalog pull in their AWS SDK clients: loaded only when configured.
const glueModule = (): typeof import('./glue/glue-catalog') => require('./glue/glue-catalog');
const lambdaCatalogModule = (): typeof import('../executors/lambda/lambda-catalog') => require('../executors/lambda/lambda-catalog');

export async function openCatalog(c: Config['catalog'], store: StoreConfig = STORE_DEFAULTS): Promise<Catalog | null> {
  if (c.lambda) {
    // the Catalog function serves the catalog it is deployed with: nothing else is asked
    if (c.root || c.file || c.glue) throw new ConfigError('catalog.lambda serves the whole catalog: leave out catalog.root, catalog.file and catalog.glue');
    return lambdaCatalogModule().LambdaCatalog.open({ ...c.lambda });
  }
  const formats = c.file ? readCatalogEntries(resolve(c.file)).formats : [];
  const glue = c.glue ? glueModule().openGlueCatalog(c.glue, store) : null;
  if (!c.root && !c.file) return glue;
  const directory = await DirectoryCatalog.open({ root: c.root, file: c.file, stores: openStores(store) }).catch(async (e: unknown) => {
    await glue?.close();
    throw e;
  });
  const all: Catalog[] = [
    ...(formats.length > 0 ? [new FormatCatalog({ entries: formats, stores: openStores(store) })] : []),
    directory,
    ...(glue ? [glue] : []),
  ];
  return all.length === 1 ? all[0] : new MultiCatalog(all);
}
