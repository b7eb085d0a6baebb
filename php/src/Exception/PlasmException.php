<?php

declare(strict_types=1);

namespace Plasm\Exception;

/**
 * Marker of every exception the SDK throws: `catch (PlasmException $e)` catches them all.
 */
interface PlasmException extends \Throwable
{
}
