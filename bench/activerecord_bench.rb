# ActiveRecord 6.1 side of the switchyard benchmark (figures 1 and 2), driven by sy_bench.
#
# sy_bench starts this script once and interleaves its rounds with the C++ variants over a line
# protocol on stdin/stdout:
#   find N START    -> Dog.find(id) N times, ids id_for(START), id_for(START+1), ...
#   create N START  -> Dog.create!(name:, age:) N times
#   quit
# Each command answers with the elapsed nanoseconds (monotonic clock, measured here, around the
# loop only), the same way the C++ variants time themselves. Connection settings come from the
# SWITCHYARD_PG_* variables; the database name is the first argument.
require "active_record"

DOGS = 10_000 # bench::kDogs
def id_for(k) = 1 + (k * 7919) % DOGS

ActiveRecord::Base.establish_connection(
  adapter: "postgresql",
  host: ENV.fetch("SWITCHYARD_PG_HOST"),
  port: Integer(ENV.fetch("SWITCHYARD_PG_PRIMARY_PORT")),
  database: ARGV.fetch(0, "switchyard_bench"),
  username: ENV.fetch("SWITCHYARD_PG_USER"),
  password: ENV.fetch("SWITCHYARD_PG_PASSWORD"),
  prepared_statements: true,
  pool: 1
)
ActiveRecord::Base.logger = nil

class Dog < ActiveRecord::Base
  self.table_name = "dogs"
end

def clock = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)

Dog.find(1) # connect and load the schema before the first timed round
$stdout.sync = true
puts "ready"

while (line = $stdin.gets)
  command, n, start = line.split
  n = Integer(n || 0)
  start = Integer(start || 0)
  case command
  when "find"
    t0 = clock
    n.times do |i|
      dog = Dog.find(id_for(start + i))
      raise "wrong dog" unless dog.id == id_for(start + i)
    end
    puts clock - t0
  when "create"
    t0 = clock
    n.times do |i|
      Dog.create!(name: "ar-#{start + i}", age: (start + i) % 20)
    end
    puts clock - t0
  when "quit"
    break
  else
    puts "error unknown command #{command}"
  end
end
