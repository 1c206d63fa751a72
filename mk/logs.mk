# Log pipeline bench tools (issue 3): static C programs built into bench/logs/bin/.
#   make bench-tools   the writer (1 GiB of 64 KiB writes by default) and the seed's C ring reference
LOGS_BENCH_BIN := bench/logs/bin

.PHONY: bench-tools
bench-tools: $(LOGS_BENCH_BIN)/writer $(LOGS_BENCH_BIN)/seed_ring

$(LOGS_BENCH_BIN)/writer: bench/logs/writer.c
	@mkdir -p $(LOGS_BENCH_BIN)
	gcc -static -O2 -Wall -Wextra -o $@ $<

$(LOGS_BENCH_BIN)/seed_ring: bench/logs/seed_ring.c
	@mkdir -p $(LOGS_BENCH_BIN)
	gcc -static -O2 -Wall -Wextra -pthread -o $@ $<
