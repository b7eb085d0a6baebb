<?php

/**
 * The SDK's autoloader for projects without Composer: `require '/path/to/php/autoload.php';`.
 * With Composer, require the package instead (see README.md); both load the same PSR-4 classes.
 */

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    if (strncmp($class, 'Plasm\\', 6) !== 0) {
        return;
    }
    $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, 6)) . '.php';
    if (is_file($file)) {
        require $file;
    }
});
