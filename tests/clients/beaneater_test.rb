# Debian 12's Ruby client (ruby-beaneater 1.1) against a running server.
# Usage: ruby beaneater_test.rb PORT. Exits non-zero on failure.
require 'beaneater'

port = ARGV[0]
failures = 0
check = lambda do |what, got, want|
  next if got == want
  warn "FAIL #{what}: got #{got.inspect}, want #{want.inspect}"
  failures += 1
end

b = Beaneater.new("127.0.0.1:#{port}")
tube = b.tubes['ruby-jobs']
ids = (1..5).map { |i| tube.put("job #{i}", pri: 100 - i)[:id] }
b.tubes.watch!('ruby-jobs')
job = b.tubes.reserve(1)
check.call('lowest priority value first', job.id, ids.last)
check.call('body', job.body, 'job 5')
check.call('stats tube (Psych-parsed)', job.stats.tube, 'ruby-jobs')
check.call('stats state', job.stats.state, 'reserved')
job.release(delay: 0)
4.times { b.tubes.reserve(1).delete }
check.call('ready after deletes', tube.stats.current_jobs_ready, 1)
check.call('tube name (Psych-parsed)', tube.stats.name, 'ruby-jobs')
names = b.tubes.all.map(&:name)
check.call('list-tubes', names.include?('ruby-jobs'), true)
check.call('server stats draining is a boolean', b.stats.draining, false)
check.call('server stats os is a string', b.stats.os.is_a?(String) && !b.stats.os.empty?, true)
b.close
exit(failures.zero? ? 0 : 1)
