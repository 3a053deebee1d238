-- wrk script: PUT a body of args[2] bytes to the paths in args[1] (one per
-- line), round-robin. Usage: wrk ... -s put.lua URL -- paths.txt 1048576
local paths = {}
local idx = 0
local body

function init(args)
	for line in io.lines(args[1]) do
		paths[#paths + 1] = line
	end
	idx = math.random(#paths)
	body = string.rep("x", tonumber(args[2]))
end

function request()
	idx = idx % #paths + 1
	return wrk.format("PUT", paths[idx], nil, body)
end
