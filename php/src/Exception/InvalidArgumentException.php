<?php

declare(strict_types=1);

namespace Plasm\Exception;

/**
 * A value the SDK refuses before anything is sent or run, naming the field: a manifest value (a
 * memory of 0 MiB, an argument that is not a string, a module file that does not exist, `limits.cpus`
 * below 1) or another argument (a receipt file that cannot be read, a trust list entry that is not a
 * string).
 */
class InvalidArgumentException extends \InvalidArgumentException implements PlasmException
{
    public function __construct(private readonly string $field, string $problem)
    {
        parent::__construct($field . ': ' . $problem);
    }

    /** The field as a JSON path of the manifest (`limits.cpus`, `args[2]`), or the argument's name. */
    public function field(): string
    {
        return $this->field;
    }
}
