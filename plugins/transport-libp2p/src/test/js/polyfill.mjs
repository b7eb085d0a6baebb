// Node 20 lacks Promise.withResolvers (ES2024), which libp2p 3.x and its dependencies call.
// This follows ES2024 §27.2.4.8: it uses `this` as the constructor (NewPromiseCapability), so
// subclasses work, and it is installed non-enumerable like the built-in. It must be imported
// before any libp2p module is evaluated.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers () {
      if (this === null || (typeof this !== 'object' && typeof this !== 'function')) {
        throw new TypeError('Promise.withResolvers called on a non-object')
      }
      let resolve
      let reject
      const promise = new this((res, rej) => {
        if (resolve !== undefined || reject !== undefined) {
          throw new TypeError('Promise executor has already been invoked')
        }
        resolve = res
        reject = rej
      })
      if (typeof resolve !== 'function' || typeof reject !== 'function') {
        throw new TypeError('Promise resolve or reject function is not callable')
      }
      return { promise, resolve, reject }
    }
  })
}
