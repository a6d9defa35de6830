import Contracts
import Prometheus
import Wire

/// StoreSvc's cache counters, read over Wire when `/metrics` is scraped and exposed as gauges.
enum StoreCacheMetrics {
    static func update(registry: PrometheusCollectorRegistry, backends: Backends) async {
        guard
            let stats = try? await backends.client(.store).call(StoreContract.cacheStats, Empty(), timeout: .seconds(1))
        else { return }
        let values: [(String, Int)] = [
            ("clearsky_store_cache_hits", stats.hits), ("clearsky_store_cache_misses", stats.misses),
            ("clearsky_store_cache_evictions", stats.evictions), ("clearsky_store_cache_entries", stats.entries),
            ("clearsky_store_cache_bytes", stats.bytes), ("clearsky_store_cache_capacity_bytes", stats.capacity),
        ]
        for (name, value) in values { registry.makeGauge(name: name).set(to: Double(value)) }
    }
}
