import type { Access, Principal } from '../access/access.js';
import type { Catalogue } from './catalogue/catalogue.js';
import { HubError, notFound } from './errors.js';
import type { Hub } from './hub.js';
import type { SubscriptionService } from './subscriptions/service.js';
import { isReservedListName, publishSystemEvent, SYSTEM_LIST } from './system-events.js';

export interface ListRemoved {
  list: string;
  /** The head the list had: re-created, it continues after it. */
  head: number;
  subscriptions: number;
}

/**
 * Deleting a list (DELETE /lists/{list}): its subscriptions stop and go, then
 * the store removes the list with its events, publishers, grants, pending
 * access requests and catalogue in one transaction; roles, caches and open
 * streams follow at once. The deletion is logged and announced on the system
 * list, which keeps the record of who deleted what.
 */
export class ListRemoval {
  constructor(
    private readonly hub: Hub,
    private readonly access: Access,
    private readonly subscriptions: Pick<SubscriptionService, 'onList' | 'removeAllOn'>,
    private readonly catalogue: Pick<Catalogue, 'flushCounts' | 'load'>,
    private readonly log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
  ) {}

  /** The caller has been allowed to manage the list (owner or admin). */
  async remove(caller: Principal, list: string, force: boolean): Promise<ListRemoved> {
    if (isReservedListName(list)) {
      throw new HubError('forbidden', 'forbidden', 'Forbidden', `List names beginning with 'herold.' are reserved for the hub: nobody deletes '${list}'.`);
    }
    const record = await this.hub.getList(list);
    const subscribed = await this.subscriptions.onList(list);
    if (subscribed.length > 0 && !force) {
      throw new HubError(
        'conflict',
        'conflict',
        'List has subscriptions',
        `List '${list}' has ${subscribed.length} subscription(s), which would stop for good. Delete them first, or send ?force=true to delete them with the list.`,
        [],
        { subscriptions: subscribed.length },
      );
    }
    const removed = await this.subscriptions.removeAllOn(list);
    await this.catalogue.flushCounts();
    if (!(await this.hub.deleteList(list))) throw notFound(`List '${list}'`);
    this.access.forgetList(list);
    await this.catalogue.load();
    const done: ListRemoved = { list, head: record.head, subscriptions: removed };
    this.log?.info({ ...done, by: caller.id }, 'list deleted');
    await publishSystemEvent(this.hub, 'list.deleted', `lists/${list}`, { list, by: caller.id, head: String(record.head), subscriptions: removed, forced: force }).catch((error) =>
      this.log?.warn({ err: error, list: SYSTEM_LIST }, 'could not publish system event'),
    );
    return done;
  }
}
