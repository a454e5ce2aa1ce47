// Flight SQL transactions: BeginTransaction pins a DuckDB connection in an open transaction;
// statements carrying its id run there; EndTransaction commits or rolls back. Savepoints are not
// offered (DuckDB has none), and SqlInfo says so.
import { InvalidArgumentError } from '../errors';
import { ActionTable } from './action-table';
import { CallContext } from './context';
import { packAny, sql, unpackAny } from './proto';
import { sessionSetup } from './sessions';

const COMMIT = 1;
const ROLLBACK = 2;

export const transactionActions: ActionTable = {
  BeginTransaction: {
    description: 'Begin a transaction; statements that carry its id run in it until EndTransaction',
    async run(ctx: CallContext, body: Buffer) {
      sql.ActionBeginTransactionRequest.decode(unpackAny(body).value);
      const session = ctx.state.sessions.peek(ctx.principal);
      const tz = session?.options.get('TimeZone');
      const id = await ctx.state.transactions.begin(
        ctx.principal,
        sessionSetup(session),
        typeof tz === 'string' ? tz : ctx.state.db.timeZone,
      );
      return [packAny('ActionBeginTransactionResult', sql.ActionBeginTransactionResult.encode({ transaction_id: id }))];
    },
  },
  EndTransaction: {
    description: 'Commit or roll back a transaction',
    async run(ctx: CallContext, body: Buffer) {
      const req = sql.ActionEndTransactionRequest.decode(unpackAny(body).value);
      const action = Number(req.action);
      if (action !== COMMIT && action !== ROLLBACK) {
        throw new InvalidArgumentError('EndTransaction needs action COMMIT or ROLLBACK');
      }
      if (!req.transaction_id || req.transaction_id.length === 0) {
        throw new InvalidArgumentError('EndTransaction needs a transaction_id');
      }
      await ctx.state.transactions.end(req.transaction_id, ctx.principal, action === COMMIT, ctx.signal);
      return [];
    },
  },
};
