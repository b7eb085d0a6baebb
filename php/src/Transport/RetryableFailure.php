<?php

declare(strict_types=1);

namespace Plasm\Transport;

/**
 * A request that failed before an answer arrived, in a way worth trying again (connection refused
 * or lost). RemoteTransport turns it into TransportException once its retries are spent.
 *
 * @internal
 */
final class RetryableFailure extends \RuntimeException
{
}
