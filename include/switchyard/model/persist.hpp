// The extension point for concerns that must act inside a record's write transaction (the
// Syncable mixin writes its outbox row here, in the same transaction as the record).
//
// A model (usually through a mixin base such as sy::Syncable<Dog>) declares
//
//   static void on_persist(Dog& record, const sy::PersistContext& context);
//
// and the model layer calls it right after each INSERT, UPDATE or DELETE of one record (create,
// save, update, destroy; not update_all/delete_all), before the after_* callbacks, on the
// connection that ran the statement and inside a transaction: the caller's, or one the model layer
// opened for this write (a model with on_persist always writes in a transaction). Exceptions
// propagate and roll that transaction back. To act after the commit, register with
// `context.connection.add_transaction_callbacks(...)`: those run after the outermost COMMIT of
// that connection only. When several mixins need the hook, the model declares on_persist itself
// and calls each.
#pragma once

#include <span>
#include <string>

namespace switchyard {

class Connection;
class ConnectionClass;

enum class Persist { create, update, destroy };

struct PersistContext {
  Persist kind;
  const ConnectionClass& connection_class;  // the model's class: switchyard::execute(it, ...)
  Connection& connection;                   // the pinned connection, inside the transaction
  std::span<const std::string> columns;     // written columns (create: inserted; update: changed)
};

}  // namespace switchyard
