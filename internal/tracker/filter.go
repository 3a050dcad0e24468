package tracker

import "math"

// State is a constant-velocity state in the local plane: position x, y
// (metres east, north) and velocity vx, vy (m/s), in that order.
type State [4]float64

// Cov is a 4x4 covariance of a State, row-major.
type Cov [4][4]float64

// Cov2 is a symmetric 2x2 covariance, square metres: [XX XY; XY YY].
type Cov2 struct{ XX, XY, YY float64 }

// Det returns the determinant.
func (c Cov2) Det() float64 { return c.XX*c.YY - c.XY*c.XY }

// Valid reports whether c is symmetric positive definite and finite.
func (c Cov2) Valid() bool {
	return c.XX > 0 && c.YY > 0 && c.Det() > 0 && !math.IsInf(c.XX+c.YY+c.XY, 0)
}

// inv returns the inverse of c and its determinant.
func (c Cov2) inv() (Cov2, float64) {
	d := c.Det()
	return Cov2{XX: c.YY / d, XY: -c.XY / d, YY: c.XX / d}, d
}

// maha returns the squared Mahalanobis norm of (dx, dy) under the inverse
// covariance i.
func (i Cov2) maha(dx, dy float64) float64 {
	return dx*dx*i.XX + 2*dx*dy*i.XY + dy*dy*i.YY
}

// Motion is one constant-velocity motion model of the interacting multiple
// model filter.
type Motion struct {
	Name string
	// Q is the white-acceleration noise spectral density, m^2/s^3, per axis
	// (the same discretisation as Stone Soup's ConstantVelocity(q)).
	Q float64
	// SpeedSigma is the per-axis velocity standard deviation, m/s, of a
	// track started from a single detection under this model.
	SpeedSigma float64
	// Prior is the model's probability for a new track.
	Prior float64
}

// predict propagates a state and covariance dt seconds under the
// constant-velocity model with noise density q.
func predict(x *State, p *Cov, dt, q float64) {
	if dt == 0 {
		return
	}
	x[0] += dt * x[2]
	x[1] += dt * x[3]
	// P = F P F' + Q with F = [I dt*I; 0 I], in closed form on the upper
	// triangle (position block += dt (Ppv + Pvp) + dt² Pvv, cross block
	// += dt Pvv).
	dt2 := dt * dt
	q11, q12, q22 := q*dt2*dt/3, q*dt2/2, q*dt
	p22, p23, p33 := p[2][2], p[2][3], p[3][3]
	p00 := p[0][0] + 2*dt*p[0][2] + dt2*p22 + q11
	p01 := p[0][1] + dt*(p[0][3]+p[1][2]) + dt2*p23
	p11 := p[1][1] + 2*dt*p[1][3] + dt2*p33 + q11
	p02 := p[0][2] + dt*p22 + q12
	p03 := p[0][3] + dt*p23
	p12 := p[1][2] + dt*p23
	p13 := p[1][3] + dt*p33 + q12
	p22 += q22
	p33 += q22
	*p = Cov{
		{p00, p01, p02, p03},
		{p01, p11, p12, p13},
		{p02, p12, p22, p23},
		{p03, p13, p23, p33},
	}
}

func symmetrize(p *Cov) {
	for i := 0; i < 4; i++ {
		for j := i + 1; j < 4; j++ {
			m := 0.5 * (p[i][j] + p[j][i])
			p[i][j], p[j][i] = m, m
		}
	}
}

// posCov returns the position block of p plus r.
func posCov(p *Cov, r Cov2) Cov2 {
	return Cov2{XX: p[0][0] + r.XX, XY: p[0][1] + r.XY, YY: p[1][1] + r.YY}
}

// updatePDA applies a probabilistic data association update for a linear
// position measurement model: weights b[k] for innovations (nx[k], ny[k])
// and b0 for "no detection of this target"; the weights sum to 1. With a
// single innovation of weight 1 it is the Kalman update. si is the inverse
// of the innovation covariance P_pos + R (one R for all innovations).
func updatePDA(x *State, p *Cov, si Cov2, b0 float64, b, nx, ny []float64) {
	// Gain K = P H' S^-1 (4x2).
	var k [4][2]float64
	for i := 0; i < 4; i++ {
		k[i][0] = p[i][0]*si.XX + p[i][1]*si.XY
		k[i][1] = p[i][0]*si.XY + p[i][1]*si.YY
	}
	var mx, my float64
	for i := range b {
		mx += b[i] * nx[i]
		my += b[i] * ny[i]
	}
	for i := 0; i < 4; i++ {
		x[i] += k[i][0]*mx + k[i][1]*my
	}
	// P_kf = P - K H P; P+ = b0 P + (1-b0) P_kf + K (sum b v v' - m m') K'.
	//      = P - (1-b0) K H P + K D K'
	var sxx, sxy, syy float64
	for i := range b {
		sxx += b[i] * nx[i] * nx[i]
		sxy += b[i] * nx[i] * ny[i]
		syy += b[i] * ny[i] * ny[i]
	}
	dxx, dxy, dyy := sxx-mx*mx, sxy-mx*my, syy-my*my
	w := 1 - b0
	var hp [2][4]float64 // H P: the first two rows of P
	hp[0], hp[1] = p[0], p[1]
	for i := 0; i < 4; i++ {
		kd0 := k[i][0]*dxx + k[i][1]*dxy
		kd1 := k[i][0]*dxy + k[i][1]*dyy
		for j := i; j < 4; j++ {
			v := p[i][j] - w*(k[i][0]*hp[0][j]+k[i][1]*hp[1][j]) + kd0*k[j][0] + kd1*k[j][1]
			p[i][j] = v
			p[j][i] = v
		}
	}
}

// updateNonlinear applies an extended Kalman update for a measurement of
// dimension 1 or 2 with Jacobian h (rows), innovation nu and noise r
// (diagonal), in Joseph form so the covariance stays positive definite.
// It returns false when the innovation covariance is singular.
func updateNonlinear(x *State, p *Cov, h [2][4]float64, nu, r [2]float64, dim int) bool {
	// S = H P H' + R.
	var ph [4][2]float64 // P H'
	for i := 0; i < 4; i++ {
		for m := 0; m < dim; m++ {
			var s float64
			for j := 0; j < 4; j++ {
				s += p[i][j] * h[m][j]
			}
			ph[i][m] = s
		}
	}
	var s [2][2]float64
	for a := 0; a < dim; a++ {
		for b := 0; b < dim; b++ {
			var v float64
			for j := 0; j < 4; j++ {
				v += h[a][j] * ph[j][b]
			}
			s[a][b] = v
		}
		s[a][a] += r[a]
	}
	var si [2][2]float64
	if dim == 1 {
		if !(s[0][0] > 0) {
			return false
		}
		si[0][0] = 1 / s[0][0]
	} else {
		d := s[0][0]*s[1][1] - s[0][1]*s[1][0]
		if !(d > 0) {
			return false
		}
		si = [2][2]float64{{s[1][1] / d, -s[0][1] / d}, {-s[1][0] / d, s[0][0] / d}}
	}
	var k [4][2]float64
	for i := 0; i < 4; i++ {
		for m := 0; m < dim; m++ {
			var v float64
			for n := 0; n < dim; n++ {
				v += ph[i][n] * si[n][m]
			}
			k[i][m] = v
		}
	}
	for i := 0; i < 4; i++ {
		for m := 0; m < dim; m++ {
			x[i] += k[i][m] * nu[m]
		}
	}
	// Joseph form: (I-KH) P (I-KH)' + K R K'.
	var a Cov // I - K H
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			var v float64
			for m := 0; m < dim; m++ {
				v += k[i][m] * h[m][j]
			}
			if i == j {
				a[i][j] = 1 - v
			} else {
				a[i][j] = -v
			}
		}
	}
	var ap Cov
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			var v float64
			for l := 0; l < 4; l++ {
				v += a[i][l] * p[l][j]
			}
			ap[i][j] = v
		}
	}
	for i := 0; i < 4; i++ {
		for j := i; j < 4; j++ {
			var v float64
			for l := 0; l < 4; l++ {
				v += ap[i][l] * a[j][l]
			}
			for m := 0; m < dim; m++ {
				v += k[i][m] * r[m] * k[j][m]
			}
			p[i][j] = v
			p[j][i] = v
		}
	}
	return true
}

// normCDF is the standard normal cumulative distribution.
func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// wrapAngle wraps radians into (-pi, pi].
func wrapAngle(a float64) float64 {
	for a > math.Pi {
		a -= 2 * math.Pi
	}
	for a <= -math.Pi {
		a += 2 * math.Pi
	}
	return a
}
