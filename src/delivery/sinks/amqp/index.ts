/**
 * The AMQP sink (`protocol: "AMQP"`): CloudEvents into a RabbitMQ exchange
 * (routing key: `routingkey`, else the event type) or straight into a queue,
 * persistent, in binary (default) or structured mode, with publisher
 * confirms; connections shared per broker and self-recovering. See
 * docs/amqp.md for the user's view.
 */
export { amqpSink } from './sink.js';
export { AmqpPool, Broker, BrokerUnavailableError, type AmqpPoolOptions, type AmqpLog, type PublishOutcome, type Destination } from './pool.js';
export { amqpSinkCheck, type AmqpCheckOptions } from './check.js';
export { toAmqpMessage, headerPrefix, APP_ID, type AmqpMessage } from '../../../cloudevents/amqp-encode.js';
export { connectAmqp, parseAmqpUrl, describeAmqpError, amqpReplyCode, type ConnectOptions } from './connect.js';
export { amqpSettingsProblems, parseAmqpSettings, maskSinkUrl, isMaskedSinkOf, MAX_SHORTSTR, type AmqpSettings, type AmqpStyle, type AmqpTarget } from '../../../hub/subscriptions/amqp-settings.js';
export { destinationOf, destinationProblem } from './destination.js';
