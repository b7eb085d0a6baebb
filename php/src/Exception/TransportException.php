<?php

declare(strict_types=1);

namespace Plasm\Exception;

/**
 * The daemon or the `plasm` command could not be reached or answered something that is not the API:
 * no daemon at the address, a connection lost after every retry, a timeout, `plasm` not found.
 */
class TransportException extends \RuntimeException implements PlasmException
{
}
