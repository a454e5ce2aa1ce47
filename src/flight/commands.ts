// The one table mapping Flight SQL command names (the type URL after its last '/') and action
// types to their handlers. Anything absent answers UNIMPLEMENTED.
import { ActionTable } from './action-table';
import { CommandTable } from './command-table';
import { ingestCommands } from './ingest';
import { metadataCommands } from './metadata';
import { cancelActions, pollCommands } from './poll';
import { preparedActions, preparedCommands } from './prepared';
import { sessionActions } from './session-options';
import { sqlInfoCommands } from './sql-info';
import { statementCommands } from './statements';
import { transactionActions } from './transactions';

export const COMMANDS: CommandTable = {
  ...statementCommands,
  ...preparedCommands,
  ...sqlInfoCommands,
  ...metadataCommands,
  ...ingestCommands,
};

export const ACTIONS: ActionTable = {
  ...preparedActions,
  ...transactionActions,
  ...sessionActions,
  ...cancelActions,
};

/** PollFlightInfo of the commands that run long; any other command answers complete at once. */
export const POLLS = pollCommands;
