-- wrk script: GET paths from a file (one per line), round-robin, each thread
-- starting at a different offset. Usage: wrk ... -s get.lua URL -- paths.txt
local paths = {}
local idx = 0

function init(args)
	for line in io.lines(args[1]) do
		paths[#paths + 1] = line
	end
	idx = math.random(#paths)
end

function request()
	idx = idx % #paths + 1
	return wrk.format("GET", paths[idx])
end
